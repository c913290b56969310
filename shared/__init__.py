"""vish-bridge's own package: what the function app and the ``vish`` command run.

Layers, and the only direction imports may point (``tests/test_layout.py`` reads every import
with ``ast`` and fails on an arrow back)::

    entry points   function_app.py, functions/, shared/cli.py (``vish``), shared/__main__.py
         |
    wiring         shared/wiring.py: builds the use cases and adapters from the settings
         |
    use cases      shared/usecases/: intake, delivery, status
         |       \\
    adapters       shared/adapters/: blob and table storage, Key Vault, SFTP, the blob binding
         |
    support        shared/config.py (settings), shared/log.py (redacting logs), shared/clock.py
         |
    domain         shared/domain/: pure rules; imports nothing above it

Development stand-ins (Azurite, the SFTP test server, sample data, the demo) live in the
top-level ``devtools/`` package, outside what is deployed; nothing here imports them.
"""
