"""Sign-in, sessions and CSRF tokens of the console.

- The sign-in token comes from the environment (``[console] token_env``) and is compared
  in constant time (digests of equal length, ``hmac.compare_digest``).
- A session is a random id kept in this process (so sign-out ends it for good), sent as a
  cookie signed with a key derived from the token and a random per-process salt: a
  restart, or a new token, signs everyone out. The cookie is ``HttpOnly``,
  ``SameSite=Strict``, scoped to ``/console``, and ``Secure`` when the request came over
  TLS (``https``, or ``X-Forwarded-Proto: https`` with ``trust_proxy = true``).
- Each session has a CSRF token; every POST must carry it as ``csrf_token`` (the sign-in
  form carries one bound to a short-lived pre-session cookie).
- Guessing is throttled per client address (:class:`Throttle`): past a few wrong tokens in
  a minute, sign-in is refused (429) without looking at the token until the oldest of
  them is a minute old; the right token clears the address's count.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response

from .._redact import Secret

SESSION_COOKIE = "otc_console"
LOGIN_COOKIE = "otc_console_login"
COOKIE_PATH = "/console"
LOGIN_TTL = 15 * 60.0  # seconds a sign-in form stays valid
_MAX_SESSIONS = 10_000  # per process; the oldest are dropped past this
_MAX_FLASHES, _MAX_FLASH = 10, 1000  # messages a session keeps for its next page; characters
MAX_WRONG = 5  # wrong tokens one client address may send per THROTTLE_WINDOW
THROTTLE_WINDOW = 60.0  # seconds
_MAX_CLIENTS = 10_000  # addresses the throttle remembers; the oldest are dropped past this


@dataclass
class Session:
    id: str
    csrf: str
    expires: float
    flashes: list[tuple[str, str]] = field(default_factory=list)

    def flash(self, kind: str, text: str) -> None:
        """A message for the next page shown (``kind``: ``ok`` or ``error``); the last
        few kept, each cut short (a message may echo what a form was sent)."""
        self.flashes = [*self.flashes[-(_MAX_FLASHES - 1) :], (kind, text[:_MAX_FLASH])]

    def take_flashes(self) -> list[tuple[str, str]]:
        taken, self.flashes = self.flashes, []
        return taken


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def same(a: str, b: str) -> bool:
    """``a == b`` in time that tells nothing about where they differ."""
    return hmac.compare_digest(_digest(a), _digest(b))


class Throttle:
    """Counts sign-in attempts per client address: at most ``limit`` wrong tokens in
    ``window`` seconds. An attempt is counted *before* the token is checked (so a burst
    of parallel guesses gets no more than ``limit`` through) and forgiven when the token
    was right; a refused address may try again once its oldest wrong token is ``window``
    seconds old, so the right token is never locked out for longer than that."""

    def __init__(self, limit: int = MAX_WRONG, window: float = THROTTLE_WINDOW) -> None:
        self.limit, self.window = limit, window
        self._wrong: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def attempt(self, client: str) -> float:
        """0.0 if ``client`` may try a token now (the try is counted), else the seconds
        to wait before it may."""
        now = time.monotonic()
        with self._lock:
            times = self._wrong.pop(client, None) or deque()
            while times and times[0] <= now - self.window:
                times.popleft()
            self._wrong[client] = times  # re-inserted: the dict is oldest-used first
            if len(times) >= self.limit:
                return max(times[0] + self.window - now, 0.001)
            times.append(now)
            while len(self._wrong) > _MAX_CLIENTS:
                del self._wrong[next(iter(self._wrong))]
            return 0.0

    def forgive(self, client: str) -> None:
        """The token was right: forget ``client``'s wrong tries."""
        with self._lock:
            self._wrong.pop(client, None)


class Auth:
    """The console's sessions in this process."""

    def __init__(self, token: Secret, *, session_seconds: float, trust_proxy: bool) -> None:
        self._token = token
        self._key = hashlib.sha256(
            b"otc-console|" + token.get().encode() + b"|" + secrets.token_bytes(32)
        ).digest()
        self.session_seconds = session_seconds
        self.trust_proxy = trust_proxy
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()
        self.throttle = Throttle()

    def __repr__(self) -> str:
        return f"<Auth sessions={len(self._sessions)}>"

    # -- signing ---------------------------------------------------------------------------

    def _sign(self, value: str, purpose: str) -> str:
        mac = hmac.new(self._key, f"{purpose}|{value}".encode(), hashlib.sha256).hexdigest()
        return f"{value}.{mac}"

    def _unsign(self, signed: str | None, purpose: str) -> str | None:
        if not signed or "." not in signed:
            return None
        value, _, _mac = signed.rpartition(".")
        return value if same(self._sign(value, purpose), signed) else None

    # -- the token and sessions ------------------------------------------------------------

    def token_matches(self, offered: str) -> bool:
        return same(offered, self._token.get())

    def start(self) -> Session:
        session = Session(
            secrets.token_urlsafe(32),
            secrets.token_urlsafe(32),
            time.time() + self.session_seconds,
        )
        with self._lock:
            self._prune()
            self._sessions[session.id] = session
        return session

    def _prune(self) -> None:
        now = time.time()
        for sid in [sid for sid, s in self._sessions.items() if s.expires < now]:
            del self._sessions[sid]
        while len(self._sessions) >= _MAX_SESSIONS:
            del self._sessions[next(iter(self._sessions))]

    def session(self, request: Request) -> Session | None:
        """The signed-in session of ``request``, or None."""
        sid = self._unsign(request.cookies.get(SESSION_COOKIE), "session")
        if sid is None:
            return None
        with self._lock:
            session = self._sessions.get(sid)
            if session is not None and session.expires < time.time():
                del self._sessions[sid]
                return None
        return session

    def end(self, session: Session) -> None:
        with self._lock:
            self._sessions.pop(session.id, None)

    def client(self, request: Request) -> str:
        """The address a request came from: with ``trust_proxy``, the last address of
        ``X-Forwarded-For`` (the one the proxy saw; those before it are the client's say)."""
        if self.trust_proxy:
            forwarded = request.headers.get("x-forwarded-for", "").split(",")[-1].strip()
            if forwarded:
                return forwarded[:100]
        return request.client.host if request.client is not None else "unknown"

    # -- cookies ---------------------------------------------------------------------------

    def secure(self, request: Request) -> bool:
        if request.url.scheme == "https":
            return True
        forwarded = request.headers.get("x-forwarded-proto", "")
        return self.trust_proxy and forwarded.split(",")[0].strip().lower() == "https"

    def _cookie(
        self, response: Response, request: Request, name: str, value: str, max_age: int
    ) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path=COOKIE_PATH,
            httponly=True,
            samesite="strict",
            secure=self.secure(request),
        )

    def set_session_cookie(self, response: Response, request: Request, session: Session) -> None:
        signed = self._sign(session.id, "session")
        self._cookie(response, request, SESSION_COOKIE, signed, int(self.session_seconds))
        response.delete_cookie(LOGIN_COOKIE, path=COOKIE_PATH)

    def clear_session_cookie(self, response: Response) -> None:
        response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)

    # -- the sign-in form's CSRF token -------------------------------------------------------

    def login_nonce(self, request: Request) -> str:
        """The pre-session nonce of this browser (a new one if it has none valid)."""
        found = self._unsign(request.cookies.get(LOGIN_COOKIE), "login")
        if found is not None:
            nonce, _, stamp = found.partition(":")
            if stamp.isdigit() and time.time() - int(stamp) < LOGIN_TTL:
                return nonce
        return secrets.token_urlsafe(24)

    def set_login_cookie(self, response: Response, request: Request, nonce: str) -> None:
        value = self._sign(f"{nonce}:{int(time.time())}", "login")
        self._cookie(response, request, LOGIN_COOKIE, value, int(LOGIN_TTL))

    def login_csrf(self, nonce: str) -> str:
        return hmac.new(self._key, f"login-csrf|{nonce}".encode(), hashlib.sha256).hexdigest()

    def login_csrf_ok(self, request: Request, offered: str) -> bool:
        found = self._unsign(request.cookies.get(LOGIN_COOKIE), "login")
        if found is None:
            return False
        nonce, _, stamp = found.partition(":")
        if not stamp.isdigit() or time.time() - int(stamp) >= LOGIN_TTL:
            return False
        return same(offered, self.login_csrf(nonce))
