"""Demos in the page: controls, an SVG plot, readouts; bad values get a message, never a 500."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_a_demo_page_works_without_javascript(client: Client) -> None:
    response = client.get("/demos/aliasing/", {"f0": "7000", "fs": "8000"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert "1000 Hz" in html  # the alias frequency readout
    assert 'src="/demos/aliasing.svg?' in html


def test_htmx_gets_only_the_figure_back(client: Client) -> None:
    html = client.get(
        "/demos/aliasing/", {"f0": "3000", "fs": "8000", "uid": "s1-demo-0"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert html.lstrip().startswith('<figure class="demo" id="s1-demo-0">')
    assert "3000 Hz" in html


def test_the_plot_is_an_svg_image(client: Client) -> None:
    response = client.get("/demos/aliasing.svg", {"f0": "7000", "fs": "8000"})
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg")
    assert "max-age=86400" in response["Cache-Control"]


@pytest.mark.parametrize("value", ["-5", "abc", "1e400", "nan", ""])
def test_a_bad_value_is_explained_inside_the_figure(client: Client, value: str) -> None:
    response = client.get("/demos/aliasing/", {"f0": value, "fs": "8000"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="demo-error" role="alert"' in html or value == ""


def test_a_bad_value_for_the_svg_is_a_plain_400(client: Client) -> None:
    response = client.get("/demos/aliasing.svg", {"fs": "0"})
    assert response.status_code == 400
    assert b"fs" in response.content.lower() or b"sampling" in response.content.lower()


def test_an_unknown_demo_is_404(client: Client) -> None:
    assert client.get("/demos/teleport/").status_code == 404
    assert client.get("/demos/teleport.svg").status_code == 404


def test_a_hostile_uid_cannot_inject_markup(client: Client) -> None:
    html = client.get(
        "/demos/aliasing/", {"uid": '"><script>alert(1)</script>'}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "<script>" not in html
    assert 'id="scriptalert1script"' in html


def test_a_broken_demo_block_shows_a_message_in_the_section(client: Client) -> None:
    from chapters.markdown import DemoBlock
    from chapters.rendering import demo_widget

    html = demo_widget(DemoBlock(0, "aliasing", "f0 = lots\n", 3), uid="x")
    assert 'class="demo-error"' in html and "aliasing" in html
    html = demo_widget(DemoBlock(0, "warp-drive", "", 3), uid="x")
    assert 'class="demo-error"' in html
