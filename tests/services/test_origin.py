"""The real Daphne process with production settings refuses a websocket from a foreign Origin."""

from __future__ import annotations

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("origin", ["https://evil.example", "http://127.0.0.1.evil.example"])
def test_a_foreign_origin_gets_403_at_the_handshake(daphne_server: str, origin: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(f"ws://{daphne_server}/ws/tutor/", origin=origin, open_timeout=10)  # type: ignore[arg-type]
    assert refused.value.response.status_code == 403


def test_the_sites_own_origin_gets_past_the_handshake(daphne_server: str) -> None:
    """Opened, then closed by the consumer itself (4401: not signed in): the origin check let it through."""
    from websockets.exceptions import ConnectionClosed

    url = f"ws://{daphne_server}/ws/tutor/"
    with (
        connect(url, origin=f"http://{daphne_server}", open_timeout=10) as ws,
        pytest.raises(ConnectionClosed) as closed,
    ):  # type: ignore[arg-type]
        ws.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
