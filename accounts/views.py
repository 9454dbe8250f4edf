from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from . import selectors, services
from .forms import ProfileForm


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("accounts:directory")


@login_required
def directory(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:100]
    page = Paginator(selectors.member_directory(query=query), 24).get_page(request.GET.get("page"))
    return render(request, "accounts/directory.html", {"page": page, "query": query})


@login_required
def profile(request: HttpRequest, username: str) -> HttpResponse:
    person = selectors.profile_get(username=username)
    can_edit = services.profile_can_edit(actor=request.user, profile=person)  # type: ignore[arg-type]
    return render(request, "accounts/profile.html", {"person": person, "can_edit": can_edit})


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest, username: str) -> HttpResponse:
    person = selectors.profile_get(username=username)
    if not services.profile_can_edit(actor=request.user, profile=person):  # type: ignore[arg-type]
        raise PermissionDenied("You can only edit your own profile.")
    form = ProfileForm(request.POST or None, instance=person)
    if request.method == "POST" and form.is_valid():
        services.profile_update(actor=request.user, profile=person, data=form.cleaned_data)  # type: ignore[arg-type]
        messages.success(request, "Profile saved.")
        return redirect("accounts:profile", username=person.username)
    return render(request, "accounts/profile_edit.html", {"person": person, "form": form})


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", {"reason": str(exception or "")}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):  # an address no API route matches: the API's error shape
        return JsonResponse({"detail": "Not found."}, status=404)
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors that touch the database: the error may be the database.
    from django.template import loader

    return HttpResponse(loader.get_template("500.html").render({}), status=500)
