"""Adapters over Azure Storage (blob and table). One small class per concern."""
