"""SFTP delivery to SNG with paramiko: pinned host key, safe upload, bounded retries.

* The host key is pinned per organisation (a key line or a ``SHA256:`` fingerprint); an unknown
  or changed key is refused (``RejectPolicy`` or the fingerprint check): a loud, recorded
  failure, never an auto-accept.
* Upload goes to a temporary name in the target folder (a dot file ending in ``.part``), the
  remote size is verified, then it is renamed to the final name (``posix-rename`` where the
  server offers it). A leftover temporary file from a broken attempt is removed first.
* Connection and operation timeouts; retries with exponential backoff for transient errors only
  (network, timeouts, a dropped connection). Authentication, host-key and permission problems are
  not retried.
* Messages of :class:`SftpError` are Dutch (an operator reads them in ``vish sftp-check``, the
  status and the connection test); ``kind`` is the stable code. They name hosts and sizes and
  give a Dutch reason, never file contents, an exception class or the server's (English) text:
  those go to the log (shown by ``vish --debug``).
* The connection test (:func:`check_connection`) fetches the server's host key with a
  key-exchange-only connection before it reads any secret: the fingerprint to compare with SNG's
  is shown even when the secret is missing or the private key unreadable.
* Throughput: our own socket with ``TCP_NODELAY`` (paramiko never sets it), ``putfo`` (pipelined
  writes), a large SFTP window, AES-GCM preferred (and no CBC, 3DES, SHA-1 or MD5 offered).
"""

from __future__ import annotations

import base64
import contextlib
import errno
import hashlib
import io
import posixpath
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from shared.domain.delivery_rules import retry_wait, should_retry
from shared.log import get_logger

log = get_logger("sftp")

WINDOW_SIZE = 64 * 1024 * 1024


class SftpError(Exception):
    """A delivery problem with a stable ``kind`` and whether retrying can help."""

    def __init__(self, kind: str, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.kind = kind
        self.transient = transient
        self.attempts: int | None = None  # set by the upload: how many attempts were made
        self.renaming = False  # failed once the rename was asked for: whether it happened is unknown


@dataclass(frozen=True)
class Credentials:
    private_key: str | None = None
    passphrase: str | None = None
    password: str | None = None

    def __repr__(self) -> str:  # never print a secret by accident
        return "Credentials(***)"


@dataclass
class UploadResult:
    remote_path: str
    size: int
    attempts: int
    seconds: float
    stale_temp_removed: bool = False


@dataclass
class CheckResult:
    ok: bool
    steps: list[tuple[str, bool, str]] = field(default_factory=list)
    server_key: str | None = None  # SHA256 fingerprint of the key the server offered, if it got that far
    pinned_key: str | None = None  # SHA256 fingerprint of the configured host key
    failed_kind: str | None = None  # the SftpError kind that stopped the check


def fingerprint(key) -> str:
    """OpenSSH-style ``SHA256:…`` fingerprint of a paramiko key."""
    return _fingerprint_of(key.asbytes())


def _fingerprint_of(blob: bytes) -> str:
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def pinned_fingerprint(host_key: str) -> str | None:
    """The ``SHA256:`` fingerprint of a configured host key (a key line or a fingerprint), or
    None when it is neither."""
    text = host_key.strip()
    if text.startswith("SHA256:"):
        return text.rstrip("=")
    parts = text.split()
    try:
        return _fingerprint_of(base64.b64decode(parts[1], validate=True)) if len(parts) >= 2 else None
    except ValueError:
        return None


def _os_reason(exc: OSError) -> str:
    """Why a connection could not be made, in Dutch (the OS's text is English)."""
    if isinstance(exc, socket.gaierror):
        return "hostnaam onbekend (DNS)"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "geen antwoord (time-out)"
    reasons = {errno.ECONNREFUSED: "verbinding geweigerd", errno.ETIMEDOUT: "geen antwoord (time-out)",
               errno.EHOSTUNREACH: "host onbereikbaar", errno.ENETUNREACH: "netwerk onbereikbaar",
               errno.ECONNRESET: "verbinding verbroken door de andere kant",
               errno.ECONNABORTED: "verbinding afgebroken"}
    reason = reasons.get(exc.errno)
    if reason is None:
        log.warning("connection failed: %s (errno %s)", type(exc).__name__, exc.errno)
        return "netwerkfout"
    return reason


def _sftp_reason(exc: BaseException, what: str) -> str:
    """Why an SFTP request failed, in Dutch; the class and the server's text go to the log."""
    log.warning("%s failed: %s (%s)", what, type(exc).__name__, _status_text(exc))
    if isinstance(exc, FileNotFoundError) or getattr(exc, "errno", None) == errno.ENOENT:
        return "bestaat niet op de server"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "geen antwoord van de server (time-out)"
    if isinstance(exc, EOFError | ConnectionError) or (isinstance(exc, OSError) and _lost(exc)):
        return "de verbinding werd verbroken"
    if isinstance(exc, OSError) and _is_permission(exc):
        return "geen toegang (de server weigert het)"
    if isinstance(exc, OSError):
        return "de server weigerde het verzoek"
    return "SSH-fout"


def load_private_key(text: str, passphrase: str | None):
    import paramiko

    errors = []
    for cls in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return cls.from_private_key(io.StringIO(text), password=passphrase)
        except paramiko.PasswordRequiredException:
            raise SftpError("auth", "de privésleutel vraagt om een wachtwoordzin "
                                    "(passphrase_secret)") from None
        except (paramiko.SSHException, ValueError) as exc:
            errors.append(type(exc).__name__)
    log.warning("private key not readable as %s", ", ".join(errors))
    raise SftpError("auth", "de privésleutel is niet te lezen (OpenSSH of PEM; Ed25519, ECDSA of RSA; "
                            "of de wachtwoordzin klopt niet)")


class _HostKeyRefused(Exception):
    """The server's key is not the pinned one (or of a type not pinned)."""


class _PinnedFingerprint:
    """MissingHostKeyPolicy that accepts exactly the configured fingerprint (None: no key not
    already known), and remembers the fingerprint the server offered."""

    def __init__(self, expected: str | None, seen: Callable[[str], None]) -> None:
        self.expected = expected
        self.seen = seen

    def missing_host_key(self, client, hostname, key) -> None:
        offered = fingerprint(key)
        self.seen(offered)
        if self.expected is None or offered != self.expected:
            raise _HostKeyRefused


class _FingerprintOnly:
    """Stands in for the expected key in BadHostKeyException's message."""

    def __init__(self, value: str) -> None:
        self.value = value

    def get_base64(self) -> str:
        return self.value

    def get_name(self) -> str:
        return "fingerprint"


_TRANSPORT = None


def hardened_transport():
    """A paramiko Transport that prefers AES-GCM (no separate HMAC per packet: ~25 % faster here)
    and offers no CBC, 3DES, SHA-1 or MD5 algorithms. Built on first use (lazy paramiko import)."""
    global _TRANSPORT
    if _TRANSPORT is None:
        import paramiko

        base = paramiko.Transport

        class HardenedTransport(base):
            _preferred_ciphers = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com",
                                  "aes128-ctr", "aes192-ctr", "aes256-ctr")
            _preferred_macs = ("hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com",
                               "hmac-sha2-256", "hmac-sha2-512")

        _TRANSPORT = HardenedTransport
    return _TRANSPORT


class SftpDelivery:
    def __init__(self, target, credentials: Credentials, *,
                 sleep: Callable[[float], None] = time.sleep,
                 operation_timeout: float | None = None) -> None:
        """``operation_timeout``: the most one SFTP request may take (default: the target's);
        the delivery passes less than its lease, so a hung request cannot outlive it."""
        self.target = target
        self.credentials = credentials
        self.sleep = sleep
        self.operation_timeout = operation_timeout or target.operation_timeout
        self.server_key: str | None = None  # fingerprint the server offered on the last connection

    def _saw(self, offered: str) -> None:
        self.server_key = offered

    # -- connection ----------------------------------------------------------------------------
    def _connect(self):
        import paramiko

        t = self.target
        sock = _open_socket(t)
        client = paramiko.SSHClient()
        host_key = t.host_key.strip()
        if host_key.startswith("SHA256:"):
            client.set_missing_host_key_policy(_PinnedFingerprint(host_key.rstrip("="), self._saw))
        else:
            entry_host = t.host if t.port == 22 else f"[{t.host}]:{t.port}"
            try:
                entry = paramiko.hostkeys.HostKeyEntry.from_line(f"{entry_host} {host_key}")
            except (paramiko.SSHException, ValueError):  # an incomplete key blob
                entry = None
            if entry is None or entry.key is None:
                sock.close()
                raise SftpError("config", "host_key is geen geldige sleutel in de vorm 'type base64' "
                                          "(zoals in known_hosts)")
            client.get_host_keys().add(entry_host, entry.key.get_name(), entry.key)
            client.set_missing_host_key_policy(_PinnedFingerprint(None, self._saw))
        creds = self.credentials
        kwargs = {"password": creds.password} if t.auth == "password" else {
            "pkey": load_private_key(creds.private_key or "", creds.passphrase)}
        try:
            client.connect(t.host, t.port, username=t.username, sock=sock, timeout=t.connect_timeout,
                           banner_timeout=t.connect_timeout, auth_timeout=t.connect_timeout,
                           channel_timeout=t.connect_timeout, allow_agent=False, look_for_keys=False,
                           transport_factory=hardened_transport(), **kwargs)
        except (paramiko.BadHostKeyException, _HostKeyRefused) as exc:
            client.close()
            if isinstance(exc, paramiko.BadHostKeyException):
                self.server_key = fingerprint(exc.key)
            raise SftpError("host_key", f"de hostsleutel van {t.host}:{t.port} is niet de vastgelegde "
                            "sleutel (andere server of onderschepping): geweigerd") from None
        except paramiko.AuthenticationException:
            with contextlib.suppress(Exception):  # the host key was accepted before the login
                self.server_key = fingerprint(client.get_transport().get_remote_server_key())
            client.close()
            raise SftpError("auth", f"aanmelden als '{t.username}' geweigerd (sleutel of wachtwoord "
                                    "niet geaccepteerd)") from None
        except paramiko.SSHException as exc:
            client.close()
            if "host key" in str(exc).lower():  # the server has no key of the pinned type
                raise SftpError("host_key", f"{t.host}:{t.port} biedt geen hostsleutel van het "
                                "vastgelegde type aan: geweigerd") from None
            raise _negotiation_failed(exc) from None
        except (OSError, EOFError) as exc:
            client.close()
            raise _dropped_while_connecting(exc) from None
        with contextlib.suppress(Exception):
            self.server_key = fingerprint(client.get_transport().get_remote_server_key())
        try:
            sftp = paramiko.SFTPClient.from_transport(client.get_transport(), window_size=WINDOW_SIZE)
            if sftp is None:
                raise paramiko.SSHException("no SFTP channel")
            sftp.get_channel().settimeout(self.operation_timeout)
        except (OSError, EOFError, paramiko.SSHException) as exc:
            client.close()
            log.warning("the SFTP subsystem could not be opened: %s", type(exc).__name__)
            raise SftpError("connect", "de SFTP-sessie kon niet worden geopend (staat de server "
                            "SFTP toe voor deze gebruiker?)", transient=True) from None
        return client, sftp

    # -- upload --------------------------------------------------------------------------------
    def upload(self, name: str, data: bytes | BlobPayload, *, token: str = "",
               guard: UploadGuard | None = None) -> UploadResult:
        """Upload ``data`` as ``name`` in the target folder; retries transient failures.
        ``data``: the bytes, or a :class:`BlobPayload` read anew, streamed, for each attempt.

        ``token`` makes the temporary name this delivery's own (``.{name}.{token}.part``): two
        instances never write, verify or rename each other's file. ``guard`` is the caller's
        say (see :class:`UploadGuard`): whether it may go on, its intent and fence before the
        rename, and whether an abandoned temporary file may be removed. A failure once the
        rename was asked for is never retried here: whether it happened is unknown
        (:attr:`SftpError.renaming`), the caller finds out with :meth:`settle`."""
        t = self.target
        guard = guard or UploadGuard()
        if isinstance(data, (bytes, bytearray, memoryview)):
            data = BlobPayload.of(bytes(data))
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            try:
                removed = self._upload_once(name, data, token, guard)
                return UploadResult(posixpath.join(t.directory, name), data.size, attempt,
                                    time.monotonic() - started, removed)
            except SftpError as exc:
                exc.attempts = attempt
                if exc.renaming or not should_retry(exc.transient, attempt, t.attempts):
                    raise
                wait = retry_wait(attempt, t.backoff_seconds)
                log.warning("upload attempt %d failed (%s); retrying in %.1f s", attempt, exc.kind, wait)
                self.sleep(wait)

    @staticmethod
    def temp_name(name: str, token: str = "") -> str:
        return f".{name}.{token}.part" if token else f".{name}.part"

    def _upload_once(self, name: str, data: BlobPayload, token: str, guard: UploadGuard) -> bool:
        client, sftp = self._connect()
        final = posixpath.join(self.target.directory, name)
        temp = posixpath.join(self.target.directory, self.temp_name(name, token))
        written = asked = renaming = False  # asked: the guard's intent may exist from here on
        try:
            guard.check()  # a delivery that lost its lease touches nothing on the server
            removed = self._remove_leftovers(sftp, name)
            try:
                written = True
                _write_all(sftp, temp, data, guard)
            except UnicodeDecodeError:
                raise self._write_failure(sftp, OSError("de server weigerde het schrijven (een "
                                                        "melding in een onleesbare tekenset)"),
                                          data.size) from None
            except (EOFError, OSError) as exc:
                raise self._write_failure(sftp, exc, data.size) from None
            size = sftp.stat(temp).st_size
            if size != data.size:
                # A full disk may show only here, as a short file: ask the server what is free.
                free = self._free_bytes(sftp)
                if free is not None and free < data.size - size:
                    raise SftpError("remote_full", f"de server heeft {free} bytes vrij, er zijn "
                                    f"nog {data.size - size} nodig")
                raise SftpError("verify", f"het bestand op de server is {size} bytes, verwacht "
                                f"{data.size}", transient=True)
            asked = True
            guard.before_rename(posixpath.basename(temp))
            renaming = True
            _rename(sftp, temp, final, guard.fence)
            written = renaming = False
            return removed
        except SftpError as exc:
            if exc.kind == "rename":
                renaming = False  # refused: a known answer, the file is still the temporary one
            exc.renaming = renaming
            raise
        except (EOFError, OSError, UnicodeDecodeError) as exc:
            # a timeout, a reset, or paramiko's "Socket is closed" when the server dropped the
            # channel between two requests (the size check, the rename); or an answer worded in
            # an encoding paramiko cannot read: try again
            log.warning("upload interrupted: %s", type(exc).__name__)
            error = SftpError("transfer", "verbinding verbroken tijdens het uploaden",
                              transient=True)
            error.renaming = renaming
            raise error from None
        except Exception as exc:
            import paramiko
            from paramiko.sftp import SFTPError as ProtocolError

            if isinstance(exc, (paramiko.SSHException, ProtocolError)):
                # a dropped session, or the stream out of step after a timeout ("Garbage packet")
                log.warning("upload interrupted: %s", type(exc).__name__)
                error = SftpError("transfer", "de SSH-verbinding raakte van slag tijdens het "
                                  "uploaden", transient=True)
                error.renaming = renaming
                raise error from None
            raise
        finally:
            # No .part left where it can be removed, but never one an open intent names: the
            # next delivery renames that one instead of sending again.
            if written and not renaming and (not asked or guard.abandon()):
                self._remove_quietly(sftp, temp)
            client.close()

    def _write_failure(self, sftp, exc: BaseException, needed: int) -> SftpError:
        """What a failed write means: a full disk or quota and a refused write cannot succeed
        on a retry (``remote_full``, ``permission``); anything else may (``transfer``)."""
        text = _status_text(exc)
        log.warning("writing the file failed: %s (%s)", type(exc).__name__, text)
        if isinstance(exc, OSError) and _is_permission(exc):
            return SftpError("permission", "schrijven in de doelmap is niet toegestaan (de server "
                             "weigert het)")
        lowered = text.lower()
        if any(word in lowered for word in _FULL_WORDS):
            return SftpError("remote_full", "de schijf of het quotum van de server is vol")
        if isinstance(exc, OSError) and not isinstance(exc, (TimeoutError, ConnectionError)):
            # OpenSSH answers a full disk with a bare "Failure": ask the server how much is free
            free = self._free_bytes(sftp)
            if free is not None and free < needed:
                return SftpError("remote_full", f"de server heeft {free} bytes vrij, er zijn er "
                                 f"{needed} nodig")
        reason = ("de verbinding werd verbroken" if isinstance(exc, EOFError | ConnectionError |
                                                              TimeoutError)
                  else "de server weigerde het schrijven")
        return SftpError("transfer", f"uploaden onderbroken ({reason})", transient=True)

    def _free_bytes(self, sftp) -> int | None:
        """Free bytes for this user in the target folder (``statvfs@openssh.com``), or None
        when the server does not say."""
        try:
            from paramiko.sftp import CMD_EXTENDED, CMD_EXTENDED_REPLY

            kind, msg = sftp._request(CMD_EXTENDED, "statvfs@openssh.com", self.target.directory)
            if kind != CMD_EXTENDED_REPLY:
                return None
            bsize, frsize, _blocks, _bfree, bavail = (msg.get_int64() for _ in range(5))
            return bavail * (frsize or bsize)
        except Exception:  # unsupported, or the connection is gone: no diagnosis
            return None

    def _remove_leftovers(self, sftp, name: str) -> bool:
        """Remove temporary files of ``name`` left by broken attempts (ours, or an instance
        whose lease ran out: the caller holds the lease now). One that cannot be removed is
        left, with a warning: this upload's temporary name is its own."""
        prefix = f".{name}."
        try:
            entries = sftp.listdir(self.target.directory)
        except OSError as exc:
            if not _is_permission(exc):
                raise
            log.warning("the target folder cannot be listed; leftover temporary files stay")
            return False
        removed = False
        for entry in entries:
            if entry.startswith(prefix) and entry.endswith(".part"):
                path = posixpath.join(self.target.directory, entry)
                try:
                    sftp.remove(path)
                except OSError as exc:
                    if not _is_permission(exc) and not isinstance(exc, FileNotFoundError):
                        raise
                    log.warning("a leftover temporary file could not be removed (%s); it stays",
                                _status_text(exc))
                    continue
                removed = True
                log.info("removed a leftover temporary file from an earlier, broken attempt")
        return removed

    @staticmethod
    def _remove_quietly(sftp, path: str) -> None:
        try:
            sftp.remove(path)
        except Exception:  # the connection may be gone; the next delivery removes it
            log.warning("the temporary file could not be removed now; the next delivery will")

    # -- reconciliation ------------------------------------------------------------------------
    def settle(self, name: str, temp: str, size: int,
               fence: Callable[[], None] | None = None) -> str:
        """Where a file whose rename may or may not have happened is now: ``final`` (under its name,
        with ``size`` bytes; a temporary copy beside it is removed), ``finished`` (only the verified
        temporary file was there: renamed now, after ``fence``), ``refused`` (that rename was
        refused: the temporary file is removed, nothing arrived), ``mismatch`` (a file of another
        size under the final name: left alone), or ``none`` (neither: the receiving side may have
        taken it)."""
        client, sftp = self._connect()
        final = posixpath.join(self.target.directory, name)
        part = posixpath.join(self.target.directory, temp)
        fence = fence or (lambda: None)
        try:
            found = _size_of(sftp, final)
            if found is not None:
                if found == size and _size_of(sftp, part) is not None:
                    self._remove_quietly(sftp, part)  # a second copy: the file is there
                return "final" if found == size else "mismatch"
            if _size_of(sftp, part) != size:
                return "none"
            fence()
            try:
                _rename(sftp, part, final, fence)
            except SftpError:
                # A refusal, or the earlier rename reaching the server only now (then the
                # temporary file is gone): look again before calling it refused.
                if _size_of(sftp, final) == size:
                    return "final"
                if _size_of(sftp, part) != size:
                    return "none"
                self._remove_quietly(sftp, part)
                return "refused"
            return "finished"
        except SftpError:
            raise
        except Exception as exc:
            import paramiko
            from paramiko.sftp import SFTPError as ProtocolError

            if isinstance(exc, (EOFError, OSError, UnicodeDecodeError, paramiko.SSHException,
                                ProtocolError)):
                log.warning("settling interrupted: %s", type(exc).__name__)
                raise SftpError("transfer", "verbinding verbroken tijdens de controle",
                                transient=True) from None
            raise
        finally:
            client.close()


    def discard(self, temp: str) -> None:
        """Remove the temporary file ``temp`` if it is there (a copy of a file already
        delivered); best effort: a failure is logged, the leftover is harmless."""
        try:
            client, sftp = self._connect()
        except SftpError as exc:
            log.warning("a temporary copy could not be removed now (%s)", exc.kind)
            return
        try:
            if _size_of(sftp, posixpath.join(self.target.directory, temp)) is not None:
                self._remove_quietly(sftp, posixpath.join(self.target.directory, temp))
        except Exception as exc:
            log.warning("a temporary copy could not be removed now (%s)", type(exc).__name__)
        finally:
            client.close()

    # -- connection test -------------------------------------------------------------------------
    def check(self, probe: bool = False) -> CheckResult:
        """The connection test with this delivery's credentials (see :func:`check_connection`)."""
        return check_connection(self.target, lambda: self.credentials, probe=probe, sleep=self.sleep)


def _open_socket(t) -> socket.socket:
    try:
        sock = socket.create_connection((t.host, t.port), timeout=t.connect_timeout)
    except OSError as exc:
        raise SftpError("connect", f"kan geen verbinding maken met {t.host}:{t.port} "
                        f"({_os_reason(exc)})", transient=True) from None
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _negotiation_failed(exc: Exception) -> SftpError:
    log.warning("SSH negotiation failed: %s: %s", type(exc).__name__, exc)
    return SftpError("connect", "SSH-onderhandeling mislukt (antwoordt daar een SSH-server, en "
                     "biedt die een veilige versleuteling aan?)", transient=True)


def _dropped_while_connecting(exc: BaseException) -> SftpError:
    log.warning("connection dropped during the SSH set-up: %s", type(exc).__name__)
    return SftpError("connect", "verbinding verbroken tijdens het opzetten", transient=True)


def _pinned_type(host_key: str) -> str | None:
    """The key type of a pinned key line (``ssh-ed25519``), None for a fingerprint."""
    text = host_key.strip()
    return None if text.startswith("SHA256:") or not text else text.split()[0]


def server_host_key(target) -> tuple[str, str]:
    """The ``SHA256:`` fingerprint and type of the host key the server offers, fetched by a
    connection that only exchanges keys (no login, no secret needed), then closed. The pinned
    key's type is asked for first, as the delivery's connection does."""
    import paramiko

    t = target
    sock = _open_socket(t)
    transport = hardened_transport()(sock)
    try:
        transport.banner_timeout = transport.handshake_timeout = t.connect_timeout
        wanted = _pinned_type(t.host_key)
        options = transport.get_security_options()
        if wanted in options.key_types:
            options.key_types = [wanted, *(k for k in options.key_types if k != wanted)]
        try:
            transport.start_client(timeout=t.connect_timeout)
            key = transport.get_remote_server_key()
        except paramiko.SSHException as exc:
            if "host key" in str(exc).lower():
                raise SftpError("host_key", f"{t.host}:{t.port} biedt geen hostsleutel aan van een "
                                "type dat deze app kan controleren: geweigerd") from None
            raise _negotiation_failed(exc) from None
        except (OSError, EOFError) as exc:
            raise _dropped_while_connecting(exc) from None
        return fingerprint(key), key.get_name()
    finally:
        transport.close()
        sock.close()


def check_connection(target, credentials: Callable[[], Credentials], *, probe: bool = False,
                     sleep: Callable[[float], None] = time.sleep) -> CheckResult:
    """The connection test, each step reported with a Dutch explanation: connect and compare the
    server's host key with the pinned one (a key exchange only), then read the secret
    (``credentials()``; a :class:`~shared.adapters.secrets.SecretError` is a failed step), log in,
    list the folder and, with ``probe``, write and remove a probe file. The host key comes first,
    so its fingerprint is there to compare with SNG's even when the secret is not (first set-up)."""
    import paramiko

    from shared.adapters.secrets import SecretError

    t = target
    result = CheckResult(ok=False, pinned_key=pinned_fingerprint(t.host_key))

    def failed(step: str, kind: str, detail: str) -> CheckResult:
        result.steps.append((step, False, detail))
        result.failed_kind = kind
        return result

    try:
        result.server_key, offered_type = server_host_key(t)
    except SftpError as exc:
        return failed("hostsleutel" if exc.kind == "host_key" else "verbinden", exc.kind, str(exc))
    result.steps.append(("verbinden", True, f"{t.host}:{t.port}"))
    if result.pinned_key is None:
        return failed("hostsleutel", "config", "sftp.host_key is geen geldige sleutel ('type "
                      "base64' zoals in known_hosts, of 'SHA256:…'); vergelijk de sleutel van de "
                      "server hieronder met de vingerafdruk die SNG opgeeft")
    if result.server_key != result.pinned_key:
        pinned = _pinned_type(t.host_key)
        if pinned and pinned != offered_type:
            return failed("hostsleutel", "host_key", f"{t.host}:{t.port} biedt geen hostsleutel van "
                          f"het vastgelegde type ({pinned}) aan maar een {offered_type}-sleutel: "
                          "geweigerd")
        return failed("hostsleutel", "host_key", f"de hostsleutel van {t.host}:{t.port} is niet de "
                      "vastgelegde sleutel (andere server of onderschepping): geweigerd")
    result.steps.append(("hostsleutel", True, "komt overeen met de vastgelegde sleutel"))
    try:
        creds = credentials()
    except SecretError as exc:
        return failed("geheim ophalen", "secret", str(exc))
    if t.auth == "key":
        try:
            load_private_key(creds.private_key or "", creds.passphrase)
        except SftpError as exc:
            return failed("privésleutel", exc.kind, str(exc))
    delivery = SftpDelivery(t, creds, sleep=sleep)
    try:
        client, sftp = delivery._connect()
    except SftpError as exc:
        if delivery.server_key:
            result.server_key = delivery.server_key
        step = {"host_key": "hostsleutel", "auth": "aanmelden",
                "config": "instelling"}.get(exc.kind, "verbinden")
        return failed(step, exc.kind, str(exc))
    try:
        result.steps.append(("aanmelden", True, f"als {t.username}"))
        try:
            entries = sftp.listdir(t.directory)
        except (OSError, EOFError, paramiko.SSHException) as exc:
            return failed("map lezen", "folder", f"map {t.directory} niet leesbaar: "
                          f"{_sftp_reason(exc, 'listing the folder')}")
        count = "1 bestand" if len(entries) == 1 else f"{len(entries)} bestanden"
        result.steps.append(("map lezen", True, f"{count} in {t.directory}"))
        if probe:
            path = posixpath.join(t.directory, f".vish-probe-{int(time.time())}")
            try:
                with sftp.open(path, "wb") as fh:
                    fh.write(b"vish-bridge connection test\n")
                sftp.remove(path)
            except (OSError, EOFError, paramiko.SSHException) as exc:
                return failed("proefbestand", "probe", "schrijven mislukt: "
                              f"{_sftp_reason(exc, 'the probe file')}")
            result.steps.append(("proefbestand", True, "geschreven en verwijderd"))
        result.ok = True
        return result
    finally:
        client.close()


_FULL_WORDS = ("no space", "quota", "disk full", "disk is full", "insufficient storage")


def _is_permission(exc: OSError) -> bool:
    text = str(exc).lower()
    return (isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS)
            or "permission" in text or "read-only" in text or "write protect" in text)


def _status_text(exc: BaseException) -> str:
    """The server's status text of an SFTP error, short and single-line (never a path)."""
    text = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return " ".join(text.split())[:80] or type(exc).__name__


def _rename(sftp, source: str, target: str, fence: Callable[[], None]) -> None:
    """``posix-rename`` (replaces atomically) where the server offers it, else a plain rename,
    after ``fence`` again (a second request). A refusal is :class:`SftpError` ``rename``; a lost
    connection stays an ``OSError``/``EOFError``."""
    try:
        _ask_rename(sftp.posix_rename, source, target)
    except _Unsupported:
        fence()
        _ask_rename(sftp.rename, source, target, fallback=True)


class _Unsupported(Exception):
    """The server does not offer ``posix-rename``."""


def _ask_rename(request, source: str, target: str, *, fallback: bool = False) -> None:
    try:
        request(source, target)
    except UnicodeDecodeError:  # a refusal worded in an encoding paramiko cannot read
        text = "a status text in an unreadable encoding"
    except OSError as exc:
        lowered = str(exc).lower()
        if not fallback and ("unsupported" in lowered or "not supported" in lowered):
            raise _Unsupported from None
        if _lost(exc):
            raise
        text = _status_text(exc)
    else:
        return
    log.warning("the rename was refused: %s", text)
    raise SftpError("rename", "het hernoemen van het geüploade bestand naar de definitieve naam is "
                              "geweigerd door de server")


def _lost(exc: OSError) -> bool:
    """A lost connection or a timeout, not an answer of the server."""
    return isinstance(exc, (TimeoutError, ConnectionError)) or "socket" in str(exc).lower()


def _write_all(sftp, path: str, data: BlobPayload, guard: UploadGuard) -> None:
    """Write ``data`` (streamed: one source chunk in memory at a time) to ``path`` in pipelined
    requests, wait for the answer to every one of
    them in whatever order the server sends them, then close the file and hear that answer too.
    (paramiko's ``putfo`` leaves the answers of the last writes to the close, which drops their
    errors, and its close drops the close's own error, which some servers use for a quota or a
    failed commit: either would leave a bad file of the right size.)"""
    from paramiko.sftp import CMD_CLOSE, CMD_WRITE, int64

    if isinstance(data, (bytes, bytearray)):
        data = BlobPayload.of(bytes(data))
    answers = _WriteAnswers()
    remote = sftp.open(path, "wb")
    handle = remote.handle
    remote._closed = True  # this function closes the handle itself, and hears the answer
    try:
        offset = 0
        for chunk in _source(data):
            view = memoryview(chunk)
            for start in range(0, len(view), _CHUNK):
                piece = bytes(view[start:start + _CHUNK])
                answers.sent.add(sftp._async_request(answers, CMD_WRITE, handle, int64(offset),
                                                     piece))
                offset += len(piece)
                while sftp.sock.recv_ready():  # read what has come back so far (no waiting)
                    sftp._read_response()
                answers.raise_first()
                guard.check()
        if offset != data.size:  # the source changed or ended early: never a short file
            raise OSError(f"de bron gaf {offset} bytes, verwacht {data.size}")
        while answers.sent:
            sftp._read_response()  # answers for other requests go to their own collectors
            answers.raise_first()
    except BaseException:
        with contextlib.suppress(Exception):  # the first failure is the one that counts
            sftp._request(CMD_CLOSE, handle)
        raise
    try:
        sftp._request(CMD_CLOSE, handle)  # the server's answer to the close: its error is raised
    except UnicodeDecodeError:  # paramiko reads the status text strictly as UTF-8
        raise OSError("de server weigerde het sluiten (close) van het bestand (een melding in een "
                      "onleesbare tekenset)") from None


def _source(data: BlobPayload):
    """The payload's chunks; a read that fails (the outbox blob: a storage blip, a timeout) is a
    transient upload failure, tried again like a dropped connection."""
    chunks = iter(data.chunks())
    while True:
        try:
            chunk = next(chunks)
        except StopIteration:
            return
        except Exception as exc:
            log.warning("reading the file to upload failed: %s", type(exc).__name__)
            raise SftpError("storage", "het bestand in de outbox kon niet worden gelezen tijdens "
                            "het uploaden", transient=True) from None
        yield chunk


class _WriteAnswers:
    """Collects the server's answer to each write request (paramiko hands it to
    ``_async_response``); the first error is raised as the server's status."""

    def __init__(self) -> None:
        self.sent: set[int] = set()
        self.error: OSError | None = None

    def _async_response(self, kind, msg, num) -> None:
        from paramiko.sftp import CMD_STATUS, SFTP_OK

        self.sent.discard(num)
        if kind != CMD_STATUS:
            self.error = self.error or OSError("de server beantwoordde een schrijfopdracht zonder "
                                               "status")
            return
        code = msg.get_int()
        if code != SFTP_OK and self.error is None:
            try:  # servers word their errors in any encoding: never fail on the text
                text = msg.get_string().decode("utf-8", "replace")
            except Exception:
                text = "schrijven mislukt"
            self.error = OSError(errno.EACCES, text) if code == 3 else OSError(text)

    def raise_first(self) -> None:
        if self.error is not None:
            raise self.error


_CHUNK = 32768


class BlobPayload:
    """What an upload sends: ``size`` bytes, read anew as chunks for each attempt (from the
    outbox blob, so memory holds one chunk, not the file)."""

    def __init__(self, chunks: Callable[[], Iterable[bytes]], size: int) -> None:
        self._chunks = chunks
        self.size = size

    @classmethod
    def of(cls, data: bytes) -> BlobPayload:
        return cls(lambda: (data,), len(data))

    def chunks(self) -> Iterable[bytes]:
        return self._chunks()


class UploadGuard:
    """What the caller of :meth:`SftpDelivery.upload` decides; the default lets everything go.

    * ``check()``: before touching the server and after every write; raise to stop.
    * ``before_rename(temp)``: after the size check; the caller's intent and fence. From this
      call on the caller's intent may exist.
    * ``fence()``: again before a second rename request (the plain-rename fallback).
    * ``abandon()``: the upload stopped after ``before_rename`` without renaming: make the
      intent go; True when it is gone, so the temporary file may be removed too.
    """

    def check(self) -> None:
        return None

    def before_rename(self, temp: str) -> None:
        return None

    def fence(self) -> None:
        return None

    def abandon(self) -> bool:
        return True


def _size_of(sftp, path: str) -> int | None:
    try:
        return sftp.stat(path).st_size
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise
