"""Blob adapter: the few operations the pipeline needs, streamed, with conditional writes."""

from __future__ import annotations

import base64
import contextlib
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from azure.storage.blob import BlobClient, BlobServiceClient

CHUNK = 4 * 1024 * 1024


@dataclass(frozen=True)
class BlobInfo:
    name: str
    size: int
    etag: str
    metadata: dict[str, str]


class ConcurrentUpdate(Exception):
    """A conditional write lost against another writer; the caller decides to retry."""


class BlobStore:
    def __init__(self, service: BlobServiceClient) -> None:
        self.service = service

    def ensure_containers(self, *names: str) -> None:
        from azure.core.exceptions import ResourceExistsError

        for name in names:
            with contextlib.suppress(ResourceExistsError):
                self.service.create_container(name)

    def client(self, container: str, name: str) -> BlobClient:
        return self.service.get_blob_client(container, name)

    def info(self, container: str, name: str) -> BlobInfo | None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            props = self.client(container, name).get_blob_properties()
        except ResourceNotFoundError:
            return None
        return BlobInfo(name, props.size, props.etag, dict(props.metadata or {}))

    def chunks(self, container: str, name: str, *, etag: str | None = None,
               client: BlobClient | None = None) -> Iterator[bytes]:
        """Stream a blob in chunks (memory stays flat). With ``etag``, the read fails if the
        blob changed since (no mixing of two versions)."""
        from azure.core import MatchConditions

        blob = client or self.client(container, name)
        kwargs = {"etag": etag, "match_condition": MatchConditions.IfNotModified} if etag else {}
        downloader = blob.download_blob(max_concurrency=1, **kwargs)
        yield from downloader.chunks()

    def upload(self, container: str, name: str, data: IO[bytes] | bytes, *,
               metadata: dict[str, str] | None = None, content_type: str | None = None,
               if_match: str | None = None, if_none_exists: bool = False) -> str:
        """Upload and return the new ETag. Readers see the old or the new blob, never a mix.

        ``if_match``/``if_none_exists`` make it conditional: the blocks are staged and the
        block list is committed only if the blob is still as expected; otherwise
        :class:`ConcurrentUpdate`. (The SDK's chunked ``upload_blob`` does not carry
        conditions through, so conditional writes stage and commit here.)
        """
        from azure.core import MatchConditions
        from azure.core.exceptions import ResourceExistsError, ResourceModifiedError
        from azure.storage.blob import BlobBlock, ContentSettings

        settings = ContentSettings(content_type=content_type) if content_type else None
        blob = self.client(container, name)
        if not (if_match or if_none_exists):
            result = blob.upload_blob(data, overwrite=True, metadata=metadata,
                                      content_settings=settings, max_concurrency=2)
            return result["etag"]
        stream = io.BytesIO(data) if isinstance(data, bytes) else data
        blocks = []
        while True:
            chunk = stream.read(CHUNK)
            if not chunk:
                break
            block_id = base64.b64encode(uuid.uuid4().bytes).decode()
            blob.stage_block(block_id, chunk)
            blocks.append(BlobBlock(block_id=block_id))
        condition = ({"etag": if_match, "match_condition": MatchConditions.IfNotModified}
                     if if_match else {"match_condition": MatchConditions.IfMissing})
        try:
            result = blob.commit_block_list(blocks, metadata=metadata, content_settings=settings,
                                            **condition)
        except (ResourceModifiedError, ResourceExistsError) as exc:
            raise ConcurrentUpdate(f"{container}/{name} changed during processing") from exc
        return result["etag"]

    def block_writer(self, container: str, name: str) -> BlockWriter:
        """A writer that streams into ``container/name`` block by block: nothing is visible
        until :meth:`BlockWriter.commit`; blocks never committed are dropped by the service."""
        return BlockWriter(self.client(container, name))

    def copy(self, source: tuple[str, str], target: tuple[str, str]) -> None:
        """Copy by streaming through this process (works with any auth, no SAS needed)."""
        blob = self.client(*source)
        downloader = blob.download_blob(max_concurrency=1)
        self.client(*target).upload_blob(_ChunkReader(downloader.chunks()), overwrite=True,
                                          length=downloader.size, max_concurrency=1)

    def acquire_lease(self, container: str, name: str, seconds: int = 60):
        """A lease on ``container/name`` (created empty if missing), or None when another holder
        has it. The caller renews it (``lease.renew()``) and releases it (``lease.release()``)."""
        from azure.core.exceptions import HttpResponseError, ResourceExistsError

        blob = self.client(container, name)
        try:
            blob.upload_blob(b"", overwrite=False)
        except ResourceExistsError:
            pass
        except HttpResponseError as exc:
            if exc.status_code != 412:  # a leased blob refuses the write: it exists
                raise
        try:
            return blob.acquire_lease(lease_duration=seconds)
        except HttpResponseError as exc:
            if exc.status_code == 409:
                return None
            raise

    def delete(self, container: str, name: str) -> bool:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            self.client(container, name).delete_blob()
            return True
        except ResourceNotFoundError:
            return False

    def list_names(self, container: str, prefix: str = "") -> list[str]:
        return [b.name for b in self.service.get_container_client(container)
                .list_blobs(name_starts_with=prefix)]

    def read_bytes(self, container: str, name: str) -> bytes:
        return self.client(container, name).download_blob().readall()


class BlockWriter:
    """``write(bytes)`` stages 4 MiB blocks as they fill (memory: one block); ``commit`` makes
    them the blob, all at once (readers see the old blob or the new one, never a part)."""

    def __init__(self, blob: BlobClient) -> None:
        self.blob = blob
        self.buffer = bytearray()
        self.blocks: list = []
        self.size = 0

    def write(self, data: bytes) -> int:
        self.buffer += data
        self.size += len(data)
        while len(self.buffer) >= CHUNK:
            self._stage(bytes(self.buffer[:CHUNK]))
            del self.buffer[:CHUNK]
        return len(data)

    def _stage(self, data: bytes) -> None:
        from azure.storage.blob import BlobBlock

        block_id = base64.b64encode(uuid.uuid4().bytes).decode()
        self.blob.stage_block(block_id, data, length=len(data))
        self.blocks.append(BlobBlock(block_id=block_id))

    def commit(self, *, content_type: str | None = None,
               metadata: dict[str, str] | None = None) -> str:
        """Make the written bytes the blob; returns its ETag."""
        from azure.storage.blob import ContentSettings

        if self.buffer:
            self._stage(bytes(self.buffer))
            self.buffer.clear()
        settings = ContentSettings(content_type=content_type) if content_type else None
        return self.blob.commit_block_list(self.blocks, metadata=metadata,
                                           content_settings=settings)["etag"]


class _ChunkReader:
    """File-like ``read`` over an iterator of chunks (for streaming uploads)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            try:
                self._buffer += next(self._chunks)
            except StopIteration:
                break
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data
