"""Adapters: one module per outside system, small classes behind narrow interfaces.

* ``azure_clients``: Storage service clients from the settings (connection string locally,
  managed identity in Azure);
* ``blobs``: blob storage (``BlobStore``: read, stream, conditional writes, leases);
* ``outcomes``: table storage (``OutcomeStore``: outcome entities, no personal data);
* ``secrets``: Key Vault (and local secrets for the demo and tests);
* ``sftp``: SNG's SFTP server (paramiko);
* ``blob_binding``: the Functions host's SDK-type blob binding.

Adapters may use the domain, ``shared.config`` and ``shared.log``; never a use case, the wiring
or an entry point (``tests/test_layout.py``). Heavy SDKs are imported inside the methods that
need them, so the status function cold-starts fast.
"""
