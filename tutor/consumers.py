"""The tutor's websocket: ask, then watch the answer stream in as HTML fragments (htmx ws extension)."""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import parse_qs

import redis
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from chapters.markdown import render_markdown
from tutor import actions
from tutor.events import user_group
from tutor.models import Answer, Notification
from tutor.rendering import answer_anchor_prefix


def query_ids(scope: dict[str, Any], name: str, limit: int = 50) -> list[int]:
    """Integer ids listed in the connection's query string, e.g. ``?answers=3,5,8`` (junk ignored)."""
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get(name, [""])[0]
    return [int(v) for v in values.split(",") if v.strip().isdigit()][:limit]


# The channel layer lives in Redis: when Redis goes away, receiving, joining a group or sending to one raises.
LAYER_ERRORS = (redis.exceptions.RedisError, OSError)
LOST = "The tutor lost its connection to the server. Your questions are saved; reconnecting…"
MAX_RESUMED = 20


class TutorConsumer(AsyncJsonWebsocketConsumer):
    """The tutor panel's socket: asks, streams the answers it follows, and updates any answer on the page when a
    reviewer judges it (the page lists its answers in ``?answers=…``)."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        except LAYER_ERRORS:
            # Not a silent hang: say so in the panel, then let the error end the consumer. Daphne closes the
            # socket with 1011 (an application may not send 1011-1013 itself), on which the browser's htmx
            # ws extension reconnects by itself, with backoff, until Redis is back.
            with contextlib.suppress(Exception):  # the socket may be gone too
                await self.error(LOST)
            raise

    async def connect(self) -> None:
        await self.accept()
        if not self.scope["user"].is_authenticated:
            await self.close(code=4401)
            return
        self.following: set[int] = set()
        self.shown: set[int] = set(await self.own_answers(query_ids(self.scope, "answers")))
        self.user_group = user_group(self.scope["user"].pk)
        await self.channel_layer.group_add(self.user_group, self.channel_name)
        for answer_id in await self.unfinished_answers():  # a reconnect replays what is still running
            await self.follow(answer_id)

    async def disconnect(self, code: int) -> None:
        for answer_id in getattr(self, "following", set()):
            await self.channel_layer.group_discard(f"answer-{answer_id}", self.channel_name)
        if hasattr(self, "user_group"):
            await self.channel_layer.group_discard(self.user_group, self.channel_name)

    @database_sync_to_async
    def own_answers(self, ids: list[int]) -> list[int]:
        mine = Answer.objects.filter(pk__in=ids, question__conversation__user=self.scope["user"])
        return list(mine.values_list("pk", flat=True))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        try:
            content = await self.decode_json(text_data)
        except (TypeError, ValueError):
            await self.error("Messages must be JSON.")
            return
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            await self.error("Messages must be JSON objects.")
            return
        if content.get("action") == "resume":
            await self.resume(content.get("answers"))
            return
        if content.get("action") == "retry":
            answer_id = await self.retry(content.get("answer"))
        else:
            answer_id = await self.ask(content)
        if answer_id is not None:
            await self.follow(answer_id, new=content.get("action") != "retry")

    async def error(self, message: str) -> None:
        await self.send(text_data=render_to_string("tutor/fragments.html#error", {"message": message}))

    async def resume(self, answer_ids: Any) -> None:
        """A browser back after a lost connection names the answers it still shows unfinished: they may have
        ended while it was away. Send each as it is now and follow it; clear the connection error."""
        wanted = [actions.int_or_none(i) for i in answer_ids[:MAX_RESUMED]] if isinstance(answer_ids, list) else []
        for answer_id in await self.own_answers([i for i in wanted if i is not None]):
            await self.follow(answer_id)
        await self.error("")

    @database_sync_to_async
    def unfinished_answers(self) -> list[int]:
        actions.do_reap_stale_answers()  # so a reconnect never waits on an answer whose worker died
        user = self.scope["user"]
        unfinished = Answer.objects.filter(question__conversation__user=user).exclude(
            status__in=[Answer.Status.DONE, Answer.Status.FAILED]
        )
        return list(unfinished.values_list("pk", flat=True)[:5])

    async def ask(self, content: dict[str, Any]) -> int | None:
        try:
            return await self._ask(content)
        except actions.AskError as exc:
            await self.error(str(exc))
            return None

    @database_sync_to_async
    def _ask(self, content: dict[str, Any]) -> int:
        return actions.do_ask_from(self.scope["user"], content).pk

    async def retry(self, answer_id: Any) -> int | None:
        try:
            return await self._retry(actions.int_or_none(answer_id))
        except actions.AskError as exc:
            await self.error(str(exc))
            return None

    @database_sync_to_async
    def _retry(self, answer_id: int | None) -> int:
        answer = Answer.objects.filter(pk=answer_id, question__conversation__user=self.scope["user"]).first()
        if answer is None:
            raise actions.AskError("That answer is not yours to retry.")
        return actions.do_retry(answer).pk

    async def follow(self, answer_id: int, *, new: bool = False) -> None:
        self.shown.add(answer_id)
        try:
            if answer_id not in self.following:  # joined before the fragment is read: no event falls between
                await self.channel_layer.group_add(f"answer-{answer_id}", self.channel_name)
                self.following.add(answer_id)
        finally:  # even when the layer is down, show the question (stored) and its answer's state
            await self.send(text_data=await self.fragment(answer_id, "exchange" if new else "answer"))

    @database_sync_to_async
    def fragment(self, answer_id: int, part: str) -> str:
        answer = Answer.objects.select_related(
            "question__conversation__book", "feedback", "review__reviewer", "review__book"
        ).get(pk=answer_id)
        return render_to_string(f"tutor/fragments.html#{part}", {"answer": answer, "question": answer.question})

    async def answer_token(self, event: dict[str, Any]) -> None:
        rendered = render_markdown(event["text"], anchor_prefix=answer_anchor_prefix(event["answer"]))
        body = mark_safe(rendered.html)  # noqa: S308 - sanitised by render_markdown
        html = render_to_string("tutor/fragments.html#provisional", {"answer_id": event["answer"], "body": body})
        await self.send(text_data=html)

    async def answer_scored(self, event: dict[str, Any]) -> None:
        """The confidence model's decision: the provisional text becomes the shown, flagged or withheld answer."""
        await self.send(text_data=await self.fragment(event["answer"], "answer"))

    async def answer_done(self, event: dict[str, Any]) -> None:
        await self.send(text_data=await self.fragment(event["answer"], "answer"))

    async def answer_failed(self, event: dict[str, Any]) -> None:
        await self.send(text_data=await self.fragment(event["answer"], "answer"))

    async def user_review(self, event: dict[str, Any]) -> None:
        """A reviewer judged one of this student's answers: if this page shows it, show the verdict under it."""
        if event["answer"] in self.shown:
            await self.send(text_data=await self.fragment(event["answer"], "answer"))


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    """Every signed-in page's socket: the unread count and a notice when a reviewer judges one of your answers."""

    async def connect(self) -> None:
        await self.accept()
        if not self.scope["user"].is_authenticated:
            await self.close(code=4401)
            return
        self.user_group = user_group(self.scope["user"].pk)
        await self.channel_layer.group_add(self.user_group, self.channel_name)

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "user_group"):
            await self.channel_layer.group_discard(self.user_group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        """It only listens."""

    async def user_review(self, event: dict[str, Any]) -> None:
        await self.send(text_data=await self.notice(event["notification"]))

    @database_sync_to_async
    def notice(self, notification_id: int) -> str:
        user = self.scope["user"]
        notification = Notification.objects.select_related("answer__question").get(pk=notification_id, user=user)
        unread = Notification.objects.filter(user=user, read_at__isnull=True).count()
        return render_to_string("tutor/fragments.html#notification", {"notification": notification, "unread": unread})
