"""One push, one transaction: store it, run the conversation, apply effects, keep the reply."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine as Database
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlmodel import Session

from bot.webhook import effects, events
from bot.wechat.gate import Push, Refused
from bot.wechat.messages import dedup_key, msg_id, to_inbound, to_message
from bot.wechat.payload import PayloadError
from config.content import Content
from flows.engine import Engine, State
from flows.inbound import Inbound
from flows.masking import mask_openid
from store.db import unit_of_work
from store.inbound import messages as inbound_store
from store.inbound import nonces
from store.residents import conversations, users
from store.sealing import Sealer

log = logging.getLogger("linli.webhook")


class Unavailable(Exception):
    """The database could not take the message; WeChat should retry it."""


@dataclass(frozen=True)
class Handled:
    """The answer to one push."""

    reply: str | None
    duplicate: bool = False


class PushHandler:
    """Runs pushes through the store and the flow engine."""

    def __init__(
        self,
        database: Database,
        engine: Engine,
        content: Content,
        *,
        replay_window: timedelta,
        tz: ZoneInfo,
        sealer: Sealer,
    ) -> None:
        self.tz = tz
        self.sealer = sealer
        self.database = database
        self.content = content
        self.engine = engine
        self.replay_window = replay_window
        self.error_reply = content.bot.system_error

    def handle(self, push: Push, now: datetime) -> Handled:
        """Handle a verified push; the transaction has committed when this returns."""
        try:
            message = to_message(push.fields)
            inbound = to_inbound(message, push.fields)
        except PayloadError as exc:
            raise Refused(400, str(exc)) from exc
        except (ValueError, TypeError, LookupError, ArithmeticError) as exc:
            # Not str(exc): it may quote the message, and refusals are logged.
            raise Refused(400, "malformed push") from exc
        for attempt in (1, 2):
            try:
                with unit_of_work(self.database) as session:
                    return self._handle(session, push, inbound, now)
            except Refused:
                raise
            except Exception as exc:
                # A pooled connection that died (e.g. the database restarted) is discarded by
                # SQLAlchemy; one more attempt on a fresh connection is then safe.
                dropped = isinstance(exc, DBAPIError) and exc.connection_invalidated
                if dropped and attempt == 1:
                    continue
                log.exception(
                    "push from %s failed; storing it with an apology", mask_openid(inbound.openid)
                )
                break
        try:
            with unit_of_work(self.database) as session:
                return self._store_failed(session, push, inbound, now)
        except SQLAlchemyError as exc:
            raise Unavailable("database unavailable") from exc

    def _handle(self, session: Session, push: Push, inbound: Inbound, now: datetime) -> Handled:
        if push.mode == "plain" and not nonces.remember(
            session,
            nonce=push.nonce,
            timestamp=push.timestamp,
            body_sha256=push.body_sha256,
            now=now,
            window=self.replay_window,
        ):
            raise Refused(403, "nonce was already used with a different body")
        key = dedup_key(push.fields)
        stored = self._record(session, push, inbound, key, now)
        if stored is None:
            return Handled(inbound_store.stored_reply(session, key), duplicate=True)
        users.seen(
            session, inbound.openid, now, event=inbound.event, own_message=inbound.kind != "event"
        )
        if inbound.kind == "event":
            events.record(session, inbound.event, push.fields, now)
        reply, secret = self._converse(session, inbound, now)
        if secret:
            inbound_store.redact(session, stored)
        inbound_store.set_reply(session, stored, reply)
        return Handled(reply)

    def _converse(
        self, session: Session, inbound: Inbound, now: datetime
    ) -> tuple[str | None, bool]:
        """The reply to a message, and whether it answered a secret question."""
        row = conversations.load(session, inbound.openid, self.sealer)
        state = State(**row) if row is not None else State()
        port = effects.StorePort(
            session, self.content, now, inbound.openid, sealer=self.sealer, tz=self.tz
        )
        outcome = self.engine.advance(state, inbound, now, port)
        facts: effects.Facts = {}
        context = effects.Context(now, self.content, self.tz, self.sealer)
        for effect in outcome.effects:
            facts |= effects.apply(session, effect, context)
        new = outcome.state
        if row is None or new != state:
            conversations.save(
                session,
                inbound.openid,
                sealer=self.sealer,
                flow=new.flow,
                step=new.step,
                data=new.data,
                history=new.history,
                failures=new.failures,
                lingering=new.lingering,
                updated_at=new.updated_at or now,
            )
        reply = "\n\n".join(effects.fill(r, facts) for r in outcome.replies) or None
        return reply, outcome.secret

    def _store_failed(
        self, session: Session, push: Push, inbound: Inbound, now: datetime
    ) -> Handled:
        key = dedup_key(push.fields)
        stored = self._record(session, push, inbound, key, now)
        if stored is None:
            return Handled(inbound_store.stored_reply(session, key), duplicate=True)
        inbound_store.set_reply(session, stored, self.error_reply, error="flow failed; see log")
        return Handled(self.error_reply)

    def _record(
        self, session: Session, push: Push, inbound: Inbound, key: str, now: datetime
    ) -> int | None:
        return inbound_store.record(
            session,
            sealer=self.sealer,
            dedup_key=key,
            openid=inbound.openid,
            msg_type=str(push.fields["MsgType"]).lower(),
            event=inbound.event or None,
            msg_id=msg_id(push.fields),
            wechat_created_at=inbound.at,
            fields=push.fields,
            raw=push.raw,
            mode=push.mode,
            received_at=now,
        )
