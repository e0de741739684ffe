"""Login throttling (django-axes) through the admin's real login form: repeated failures for one
user from one address lock that pair out, with a clear message, until the cool-off passes or an
Admin unlocks it in the admin."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from bs4 import BeautifulSoup
from django.conf import settings
from django.test import Client
from django.utils import timezone

from .factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

LOCKED = (
    "Too many failed logins for “ada” from your address (5 in a row): logging in as “ada” from here is "
    "locked for 30 minutes. An administrator can unlock it sooner."
)


@pytest.fixture
def ada(db):
    return make_user("Author", "ada")


def log_in(client, password, *, username="ada", address="203.0.113.7", forwarded_for=None):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
        **({"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {}),
    )


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def message_of(response) -> str:
    return " ".join(BeautifulSoup(response.content, "html.parser").find(id="lockout-message").get_text().split())


def test_thirty_wrong_passwords_then_the_right_one_does_not_log_in(client, ada):
    for _ in range(30):
        assert log_in(client, "wrong").status_code in (200, 429)
    response = log_in(client, PASSWORD)
    assert response.status_code == 429
    assert message_of(response) == LOCKED
    assert not logged_in(client)


def test_the_lockout_starts_at_the_configured_failure(client, ada):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, "wrong").status_code == 200
    assert log_in(client, "wrong").status_code == 429
    assert log_in(client, PASSWORD).status_code == 429
    assert not logged_in(client)


def test_the_lock_holds_one_user_from_one_address_only(client, ada):
    make_user("Editor", "ed")
    for _ in range(30):
        log_in(client, "wrong")
    assert log_in(client, PASSWORD, address="198.51.100.1").status_code == 302
    client.logout()
    assert log_in(client, PASSWORD, username="ed").status_code == 302


def test_behind_the_proxy_the_lock_holds_the_address_the_proxy_saw(client, ada):
    for _ in range(30):
        log_in(client, "wrong", address="127.0.0.1", forwarded_for="198.51.100.1")
    assert log_in(client, PASSWORD, address="127.0.0.1", forwarded_for="198.51.100.1").status_code == 429
    assert log_in(client, PASSWORD, address="127.0.0.1", forwarded_for="198.51.100.2").status_code == 302


def test_addresses_a_client_writes_in_x_forwarded_for_are_not_believed(client, ada):
    for attempt in range(30):
        spoofed = f"192.0.2.{attempt}"
        log_in(client, "wrong", address="203.0.113.7", forwarded_for=spoofed)  # not from our proxy
        log_in(client, "wrong", address="127.0.0.1", forwarded_for=f"{spoofed}, 198.51.100.1")  # through it
    assert log_in(client, PASSWORD, address="203.0.113.7", forwarded_for="192.0.2.99").status_code == 429
    assert log_in(client, PASSWORD, address="127.0.0.1", forwarded_for="192.0.2.99, 198.51.100.1").status_code == 429


def test_the_lock_lifts_after_the_cool_off(client, ada):
    for _ in range(30):
        log_in(client, "wrong")
    start = timezone.now()
    with time_machine.travel(start + timedelta(minutes=29)):
        assert log_in(client, PASSWORD).status_code == 429
    # That try counted too: the cool-off runs from the last one.
    with time_machine.travel(start + timedelta(minutes=29 + 31)):
        assert log_in(client, PASSWORD).status_code == 302
    assert logged_in(client)


@pytest.fixture
def admin_role_client(db):
    """A user of the Admin role (not a superuser): the role holds the unlocking permissions."""
    admin_role = Client()
    admin_role.force_login(make_user("Admin", "grace"))
    return admin_role


def test_an_admin_unlocks_a_locked_user_in_the_admin(client, ada, admin_role_client):
    for _ in range(30):
        log_in(client, "wrong")
    attempt = AccessAttempt.objects.get(username="ada")
    assert attempt.ip_address == "203.0.113.7" and attempt.failures_since_start == 30

    assert "ada" in admin_role_client.get("/admin/axes/accessattempt/").content.decode()
    response = admin_role_client.post(
        "/admin/axes/accessattempt/", {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"}
    )

    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert log_in(client, PASSWORD).status_code == 302
    assert logged_in(client)


def test_the_failure_limit_and_cool_off_are_read_from_the_environment():
    code = "from vdwiki import settings as s; print(s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME.total_seconds())"
    environment = {**os.environ, "DJANGO_LOGIN_FAILURE_LIMIT": "10", "DJANGO_LOGIN_COOLOFF_MINUTES": "2.5"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=environment, capture_output=True, text=True
    )
    assert result.stdout.split() == ["10", "150.0"]


def test_behind_a_load_balancer_in_front_of_the_proxy_the_lock_holds_the_client_not_the_balancer(client, ada, settings):
    """TLS or a load balancer in front of nginx (README): nginx sees the balancer's address, which
    is listed as a proxy of ours; an attacker failing through it must not lock out everyone else."""
    settings.VDWIKI_TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.5"]
    for _ in range(30):
        # the attacker also writes addresses of its own, the victim's and the balancer's
        log_in(client, "wrong", address="127.0.0.1", forwarded_for="198.51.100.1, 10.0.0.5, 192.0.2.66, 10.0.0.5")
    attacker = log_in(client, PASSWORD, address="127.0.0.1", forwarded_for="192.0.2.66, 10.0.0.5")
    assert attacker.status_code == 429
    assert log_in(client, PASSWORD, address="127.0.0.1", forwarded_for="198.51.100.1, 10.0.0.5").status_code == 302
