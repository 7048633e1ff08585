from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.decorators import perm_required


@perm_required("accounts.review_answers")
def review(request: HttpRequest) -> HttpResponse:
    return render(request, "uq/review.html")
