"""Use cases: the product's work, joining domain rules and adapters.

* ``intake``: one extract blob validated into snapshot, reports, quarantine and outcome;
* ``delivery``: the daily SNG file, exactly once per organisation per local day;
* ``status``: the status document per organisation (health, history, next delivery).

They take their adapters and the clock as parameters; ``shared.wiring`` builds them from the
settings. Functions and the CLI call them; they never call back (``tests/test_layout.py``).
"""
