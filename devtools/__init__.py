"""Development tools: local stand-ins and the demo. Never deployed, never imported by deployed code.

* ``devservices``: Azurite on loopback, OpenSSH ``sshd`` on loopback, and the registered
  functions of ``function_app`` to call as the Functions host would.
* ``sftp_testserver``: a real SFTP server (asyncssh) standing in for SNG, with fault switches.
* ``sample``: fictitious extracts (valid test BSNs, no real person).
* ``demo``: the daily flow on those stand-ins (``./run demo``).
* ``cli``: ``python -m devtools`` (also ``vish-dev``): ``demo`` and ``sample``.

Arrows point one way: these modules use ``shared`` and ``function_app``; nothing in the deployed
package imports them (``tests/test_layout.py`` reads the imports), and ``.funcignore`` keeps this
folder out of the deployment package.
"""
