from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

AUTHOR, REVIEW, ADMIN = "/author/", "/review/", "/admin/"


def nav_of(client: Client) -> str:
    html = client.get(reverse("chapters:library")).content.decode()
    return html[html.index('<nav class="nav"') : html.index("</nav>")]


def test_a_visitor_is_offered_log_in_and_sign_up(client: Client) -> None:
    nav = nav_of(client)
    assert 'href="/accounts/login/"' in nav and 'href="/accounts/signup/"' in nav
    assert AUTHOR not in nav and REVIEW not in nav


def test_alice_the_student_sees_the_library_only(client: Client, student: User) -> None:
    client.force_login(student)
    nav = nav_of(client)
    assert "alice" in nav and '<span class="role-badge">student</span>' in nav
    assert AUTHOR not in nav and REVIEW not in nav and ADMIN not in nav


def test_ines_the_instructor_sees_authoring(client: Client, instructor: User) -> None:
    client.force_login(instructor)
    nav = nav_of(client)
    assert f'href="{AUTHOR}"' in nav and REVIEW not in nav and ADMIN not in nav


def test_rita_the_reviewer_sees_the_review_queue(client: Client, reviewer: User) -> None:
    client.force_login(reviewer)
    nav = nav_of(client)
    assert f'href="{REVIEW}"' in nav and AUTHOR not in nav and ADMIN not in nav


def test_sam_the_staff_member_sees_the_admin(client: Client, staff: User) -> None:
    client.force_login(staff)
    assert f'href="{ADMIN}"' in nav_of(client)


def test_every_page_has_a_skip_link_to_main(client: Client) -> None:
    html = client.get(reverse("login")).content.decode()
    assert '<a class="skip-link" href="#main">' in html
    assert '<main id="main"' in html


def test_a_forbidden_page_explains_itself(client: Client, student: User) -> None:
    client.force_login(student)
    response = client.get(REVIEW)
    assert response.status_code == 403
    assert "does not include the role this page needs" in response.content.decode()
