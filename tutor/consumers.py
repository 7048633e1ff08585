"""The tutor's websocket: ask, then watch the answer stream in as HTML fragments (htmx ws extension)."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from chapters.markdown import render_markdown
from tutor import actions
from tutor.models import Answer
from tutor.rendering import answer_anchor_prefix


class TutorConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        await self.accept()
        if not self.scope["user"].is_authenticated:
            await self.close(code=4401)
            return
        self.following: set[int] = set()
        for answer_id in await self.unfinished_answers():  # a reconnect replays what is still running
            await self.follow(answer_id)

    async def disconnect(self, code: int) -> None:
        for answer_id in getattr(self, "following", set()):
            await self.channel_layer.group_discard(f"answer-{answer_id}", self.channel_name)

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
        if content.get("action") == "retry":
            answer_id = await self.retry(content.get("answer"))
        else:
            answer_id = await self.ask(content)
        if answer_id is not None:
            await self.follow(answer_id, new=content.get("action") != "retry")

    async def error(self, message: str) -> None:
        await self.send(text_data=render_to_string("tutor/fragments.html#error", {"message": message}))

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
        if answer_id not in self.following:
            await self.channel_layer.group_add(f"answer-{answer_id}", self.channel_name)
            self.following.add(answer_id)
        await self.send(text_data=await self.fragment(answer_id, "exchange" if new else "answer"))

    @database_sync_to_async
    def fragment(self, answer_id: int, part: str) -> str:
        answer = Answer.objects.select_related("question__conversation__book").get(pk=answer_id)
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
