"""The domain: the rules of VISH delivery as pure Python. Bytes and values in, values out.

No Azure SDK, no network, no clock (the instant is always a parameter), no configuration or
logging of the process: a rule is tested in microseconds, without Azurite. Modules here import
only the standard library, pydantic (for the declarative SNG profiles) and each other;
``tests/test_layout.py`` reads every import and fails on anything else.

* reading and validating an extract: ``reader``, ``columns``, ``bsn``, ``dates``,
  ``eligibility``, ``validation/``, ``issues``, ``report``, ``snapshot``;
* the file SNG receives: ``profile`` (and ``profiles/``), ``delivery_file``;
* time and health: ``localtime``, ``schedule``, ``health``, ``status_page``;
* ``privacy``: the one BSN mask for names, logs and records.
"""
