"""Pre-built safe-mode pushes for wrk: one `path<TAB>body` line per request, distinct MsgIds."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from bot.sandbox.pusher import Pusher

# One resident's conversation, in order: every turn lands on the menu or a flow step.
TURNS: tuple[str, ...] = (
    "你好",  # the front door's matcher: small talk → a greeting and the main menu
    "1",  # menu choice → 办事指南 asks which topic
    "4",  # topic choice → a service (独生子女年审): its 办事清单 begins
    "菜单",  # global command → main menu
    "办公时间",  # the matcher: the guide topic → answered, the list shown again
    "办事指南",  # flow keyword → asks which topic
    "居住证",  # topic by name → 居住证's 办事清单 begins
)
PATH = "/wechat"


@dataclass(frozen=True)
class Account:
    """The Official Account's secrets, shared by the pusher and the servers."""

    token: str
    app_id: str
    aes_key: str

    @classmethod
    def random(cls) -> Account:
        """Fresh credentials for one benchmark run."""
        alnum = string.ascii_letters + string.digits
        return cls(
            token=secrets.token_hex(16),
            app_id="wx" + secrets.token_hex(8),
            aes_key="".join(secrets.choice(alnum) for _ in range(43)),
        )

    def env(self) -> dict[str, str]:
        """The LINLI_WECHAT_* variables (the baselines read the same ones)."""
        return {
            "LINLI_WECHAT_TOKEN": self.token,
            "LINLI_WECHAT_APP_ID": self.app_id,
            "LINLI_WECHAT_AES_KEY": self.aes_key,
        }

    def pusher(self) -> Pusher:
        """A safe-mode pusher for this account."""
        return Pusher(self.token, self.app_id, self.aes_key)


def openid(resident: int) -> str:
    """A stable, WeChat-shaped openid for resident number `resident`."""
    return f"oBench{resident:06d}xxxxxxxxxxxxxxxxx"[:28]


def write_requests(path: Path, account: Account, count: int, residents: int) -> None:
    """Write `count` signed, encrypted text pushes; resident i gets TURNS in order."""
    pusher = account.pusher()
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            resident, turn = n % residents, (n // residents) % len(TURNS)
            pushed = pusher.build(pusher.text(openid(resident), TURNS[turn]))
            body = pushed.body.decode("utf-8")
            if "\t" in body or "\n" in body:
                raise ValueError("a body must fit on one line")
            out.write(f"{PATH}?{urlencode(pushed.params)}\t{body}\n")
