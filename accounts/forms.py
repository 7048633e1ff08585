from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.contrib.auth.models import User
from django.http import HttpRequest

from accounts.actions import LoginThrottled, check_login_allowed, do_forget_failed_logins, do_record_failed_login


class SignupForm(UserCreationForm):
    email = forms.EmailField(
        required=False, help_text="Optional. Only used to tell you about reviews of your questions."
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")


def client_address(request: HttpRequest | None) -> str:
    # REMOTE_ADDR is the peer Daphne saw; behind a proxy, Daphne's --proxy-headers puts the client there.
    return str(request.META.get("REMOTE_ADDR", "")) if request is not None else ""


class ThrottledLoginMixin:
    """Refuses a login while its username or client address has too many recent failures, and counts them."""

    request: HttpRequest | None
    cleaned_data: dict[str, Any]
    retry_after: int | None = None

    def clean(self) -> dict[str, Any]:
        username, address = str(self.cleaned_data.get("username") or ""), client_address(self.request)
        try:
            check_login_allowed(username, address)
        except LoginThrottled as exc:
            self.retry_after = exc.retry_after
            raise forms.ValidationError(str(exc), code="throttled") from None
        try:
            cleaned: dict[str, Any] = super().clean()  # type: ignore[misc]
        except forms.ValidationError as exc:
            if any(error.code == "invalid_login" for error in exc.error_list):
                do_record_failed_login(username, address)
            raise
        do_forget_failed_logins(username)
        return cleaned


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass
