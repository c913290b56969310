"""A stand-in for the Azure Functions host that drives the pinned Python worker
(``azure-functions-runtime``) over the host's own protocol messages: see ``host.py``."""
