"""Who is asking, and what that lets them read and open."""
from __future__ import annotations

from dataclasses import dataclass

# Roles that read incident data (the admin manages accounts and reads the audit log, not cases).
DATA_ROLES = frozenset({"leader", "planner", "station_chief", "kiosk"})
# Which roles may open each page; a page not listed is open to every data role.
PAGE_ROLES = {
    "/": frozenset({"leader", "planner", "station_chief"}),
    "/wall": frozenset({"leader", "planner", "station_chief", "kiosk"}),
    "/plan": frozenset({"leader", "planner"}),
    "/patrol": frozenset({"leader", "planner", "station_chief"}),
    "/admin": frozenset({"admin"}),
}
# Where each role lands after login (and where a kiosk is sent from any other page).
HOME = {"admin": "/admin", "kiosk": "/wall"}


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a logged-in user, a wall display's kiosk link, or an API token.

    ``via`` is session, kiosk or token; ``station`` is the one station a chief or a station kiosk may read.
    """

    name: str
    role: str
    station: str | None = None
    via: str = "session"

    @property
    def stations(self) -> tuple[str, ...] | None:
        """The stations whose data this caller may read: None for all, () for none."""
        if self.role not in DATA_ROLES:
            return ()
        return (self.station,) if self.station is not None else None

    def may_open(self, path: str) -> bool:
        roles = PAGE_ROLES.get(page_of(path))
        return self.role in (roles if roles is not None else DATA_ROLES)

    @property
    def home(self) -> str:
        return HOME.get(self.role, "/")


def page_of(path: str) -> str:
    """The page a URL path belongs to ('/wall/' → '/wall')."""
    return "/" + path.strip("/").split("/")[0] if path.strip("/") else "/"
