from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from accounts.actions import do_create_user, do_issue_api_token, do_revoke_api_token
from accounts.forms import LoginForm, SignupForm


class LoginView(auth_views.LoginView):
    """Django's login, throttled: too many failures answer 429 with the time to wait (accounts.actions)."""

    form_class = LoginForm
    redirect_authenticated_user = True

    def form_invalid(self, form: LoginForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_invalid(form)
        if form.retry_after is not None:
            response.status_code = 429
            response["Retry-After"] = str(form.retry_after)
        return response


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("chapters:library")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = do_create_user(
            form.cleaned_data["username"], form.cleaned_data["password1"], email=form.cleaned_data["email"]
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.username}. You are signed up as a student.")
        next_url = request.POST.get("next", "")
        if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            return redirect(next_url)
        return redirect("chapters:library")
    return render(request, "registration/signup.html", {"form": form, "next": request.GET.get("next", "")})


@login_required
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    new_token = None
    if request.method == "POST" and request.POST.get("token") == "issue":
        new_token = do_issue_api_token(request.user)  # type: ignore[arg-type]
    elif request.method == "POST" and request.POST.get("token") == "revoke":
        do_revoke_api_token(request.user)  # type: ignore[arg-type]
        messages.success(request, "Your API token is revoked.")
        return redirect("account")
    token = getattr(request.user, "api_token", None)
    return render(request, "accounts/account.html", {"new_token": new_token, "token": token})
