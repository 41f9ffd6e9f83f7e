"""Organisation pages: each view reads its form and calls a flow."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from core.ratelimit import rate_limit
from emailing.messages import Delivery
from organisations.flows import LimitReached, Refused, invitations, memberships
from organisations.forms import (
    ERRORS,
    BulkInvitationForm,
    InvitationForm,
    OrganisationForm,
    RoleForm,
    message_for,
    role_choices,
)
from organisations.models import Invitation, Membership
from organisations.permissions import can_manage_member, require_manager, roles_grantable_by

HISTORY_LENGTH = 20


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@rate_limit("organisation")
def organisation_list_view(request: HttpRequest) -> HttpResponse:
    """List my organisations and the invitations addressed to me; create an organisation."""
    form = OrganisationForm()
    if request.method == "POST":
        action = request.POST.get("action", "create")
        if action in ("accept", "decline"):
            invitation = get_object_or_404(
                Invitation.objects.select_related("organisation"),
                pk=_pk(request.POST.get("invitation")),
                email=request.user.email,
            )
            return _answer(request, invitation, action)
        if action != "create":
            return HttpResponseBadRequest()
        form = OrganisationForm(request.POST)
        if form.is_valid():
            try:
                organisation = memberships.create_organisation(
                    request.user, form.cleaned_data["name"]
                )
            except Refused as refused:
                messages.error(request, message_for(refused.code, **refused.params))
            else:
                messages.success(request, f"{organisation.name} is created. You are its owner.")
                return redirect("organisations:detail", slug=organisation.slug)
    return render(
        request,
        "organisations/list.html",
        {
            "form": form,
            "memberships": request.user.memberships.select_related("organisation").order_by(
                "organisation__name"
            ),
            "invitations": invitations.pending_invitations_for(request.user),
        },
        status=400 if form.errors else 200,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@rate_limit("organisation")
def organisation_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Show an organisation to its members; owners and admins manage it here."""
    me = get_object_or_404(
        Membership.objects.select_related("organisation", "user"),
        organisation__slug=slug,
        user=request.user,
    )
    if request.method == "GET":
        return _render_organisation(request, me)
    action = request.POST.get("action", "")
    if action == "invite":
        return _invite(request, me)
    if action == "bulk_invite":
        return _bulk_invite(request, me)
    if action not in ACTIONS:
        return HttpResponseBadRequest()
    try:
        response = ACTIONS[action](request, me)
    except Refused as refused:
        messages.error(request, message_for(refused.code, **refused.params))
        response = None
    return response or redirect("organisations:detail", slug=slug)


def _pk(raw: str | None) -> int:
    if not raw or not raw.isdigit():
        raise Http404
    return int(raw)


def _member(request: HttpRequest, me: Membership) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("user"),
        pk=_pk(request.POST.get("member")),
        organisation_id=me.organisation_id,
    )


def _invitation(request: HttpRequest, me: Membership) -> Invitation:
    return get_object_or_404(
        Invitation.objects.select_related("organisation", "invited_by"),
        pk=_pk(request.POST.get("invitation")),
        organisation_id=me.organisation_id,
    )


def _invite(request: HttpRequest, me: Membership) -> HttpResponse:
    require_manager(me)
    form = InvitationForm(request.POST, roles=roles_grantable_by(me))
    if not form.is_valid():
        return _render_organisation(request, me, form, status=400)
    email, role = form.cleaned_data["email"], form.cleaned_data["role"]
    try:
        invitation, delivery = invitations.invite(request, me, email, role)
    except LimitReached as refused:
        form.add_error(None, message_for(refused.code, **refused.params))
        response = _render_organisation(request, me, form, status=429)
        response["Retry-After"] = str(refused.wait)
        return response
    except Refused as refused:
        form.add_error("email", message_for(refused.code, **refused.params))
        return _render_organisation(request, me, form, status=400)
    _report_delivery(request, invitation, delivery)
    return redirect("organisations:detail", slug=me.organisation.slug)


def _bulk_invite(request: HttpRequest, me: Membership) -> HttpResponse:
    require_manager(me)
    form = BulkInvitationForm(request.POST, roles=roles_grantable_by(me))
    if not form.is_valid():
        return _render_organisation(request, me, bulk_form=form, status=400)
    try:
        result = invitations.invite_many(request, me, form.entries)
    except LimitReached as refused:
        form.add_error(None, message_for(refused.code, **refused.params))
        response = _render_organisation(request, me, bulk_form=form, status=429)
        response["Retry-After"] = str(refused.wait)
        return response
    skipped = [(email, ERRORS[reason]) for email, reason in result.skipped]
    skipped += [(email, ERRORS["bulk_duplicate"]) for email in form.duplicates]
    capped = sum(1 for _, reason in result.skipped if reason == "bulk_daily_cap")
    report = {
        "invited": result.invited,
        "resent": result.resent,
        "skipped": skipped,
        "refused": form.refused,
        "capped": capped,
    }
    return _render_organisation(request, me, bulk_report=report)


def _report_delivery(request: HttpRequest, invitation: Invitation, delivery: Delivery) -> None:
    if delivery.queued:
        messages.success(
            request,
            f"The invitation to {invitation.email} as {invitation.role} is queued: "
            "it will be e-mailed in a moment.",
        )
    elif delivery.sent:
        messages.success(
            request, f"We e-mailed an invitation to {invitation.email} as {invitation.role}."
        )
    else:
        messages.error(request, message_for("send_failed", email=invitation.email))


def _resend(request: HttpRequest, me: Membership) -> HttpResponse | None:
    invitation = _invitation(request, me)
    try:
        delivery = invitations.resend(request, me, invitation)
    except LimitReached as refused:
        messages.error(request, message_for(refused.code, **refused.params))
        return None
    _report_delivery(request, invitation, delivery)
    return None


def _revoke(request: HttpRequest, me: Membership) -> None:
    invitation = _invitation(request, me)
    invitations.revoke(me, invitation)
    messages.success(request, f"The invitation to {invitation.email} is revoked.")


def _change_role(request: HttpRequest, me: Membership) -> None:
    require_manager(me)
    target = _member(request, me)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the roles offered.")
        return
    target = memberships.change_role(me, target, form.cleaned_data["role"])
    messages.success(request, f"{target.user.email} is now {target.role}.")


def _remove(request: HttpRequest, me: Membership) -> HttpResponse | None:
    target = _member(request, me)
    memberships.remove_member(me, target)
    if target.pk == me.pk:
        return _after_leaving(request, me)
    messages.success(request, f"{target.user.email} is no longer a member.")
    return None


def _leave(request: HttpRequest, me: Membership) -> HttpResponse:
    memberships.leave(me)
    return _after_leaving(request, me)


def _after_leaving(request: HttpRequest, me: Membership) -> HttpResponse:
    messages.success(request, f"You left {me.organisation.name}.")
    return redirect("organisations:list")


ACTIONS = {
    "resend": _resend,
    "revoke": _revoke,
    "change_role": _change_role,
    "remove": _remove,
    "leave": _leave,
}


def _render_organisation(
    request: HttpRequest,
    me: Membership,
    invite_form: InvitationForm | None = None,
    status=200,
    bulk_form: BulkInvitationForm | None = None,
    bulk_report: dict | None = None,
) -> HttpResponse:
    organisation = me.organisation
    grantable = roles_grantable_by(me)
    members = list(organisation.memberships.select_related("user").order_by("joined_at", "pk"))
    sole_owner = me.is_owner and not any(m.is_owner and m.pk != me.pk for m in members)
    rows = [
        {
            "membership": member,
            "is_me": member.pk == me.pk,
            # The last owner's own role cannot change: the page shows it as text.
            "manageable": can_manage_member(me, member)
            or (member.pk == me.pk and me.can_manage and not sole_owner),
        }
        for member in members
    ]
    if me.can_manage and invite_form is None:
        invite_form = InvitationForm(roles=grantable)
    if me.can_manage and bulk_form is None:
        bulk_form = BulkInvitationForm(roles=grantable)
    return render(
        request,
        "organisations/detail.html",
        {
            "organisation": organisation,
            "me": me,
            "rows": rows,
            "role_choices": role_choices(grantable),
            "grantable": grantable,
            **_invitations_seen_by(me),
            "invite_form": invite_form if me.can_manage else None,
            "bulk_form": bulk_form if me.can_manage else None,
            "bulk_report": bulk_report,
            "sole_owner": sole_owner,
        },
        status=status,
    )


def _invitations_seen_by(me: Membership) -> dict:
    """Owners and admins see whom the invitations are for; members only how many are open."""
    invitations = me.organisation.invitations.select_related("invited_by", "revoked_by")
    if not me.can_manage:
        return {"pending_count": invitations.open().count()}
    return {
        "open_invitations": invitations.open().order_by("expires_at"),
        "answered_invitations": invitations.exclude(pk__in=invitations.open().values("pk"))[
            :HISTORY_LENGTH
        ],
    }


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_view(request: HttpRequest, token: str) -> HttpResponse:
    """Show an invitation; its addressee accepts or declines it with a POST."""
    invitation = invitations.find_invitation(token)
    if invitation is None:
        # purge_expired deletes expired invitations: their links still say what to do.
        return render(
            request,
            "organisations/invitation_unknown.html",
            {"dead_message": message_for("invitation_unknown")},
            status=404,
        )
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.path)
        return _answer(request, invitation, request.POST.get("action", ""), back=request.path)
    state = invitation.state
    mine = invitation.accepted_by_id is not None and invitation.accepted_by_id == request.user.pk
    query = urlencode({"next": request.path, "email": invitation.email}, safe="/")
    return render(
        request,
        "organisations/invitation.html",
        {
            "invitation": invitation,
            "state": state,
            "for_me": invitation.is_for(request.user),
            "accepted_by_me": mine,
            "dead_message": "" if state == "pending" else message_for(f"invitation_{state}"),
            "login_url": f"{reverse('accounts:login')}?{query}",
            "signup_url": f"{reverse('accounts:signup')}?{query}",
        },
        status=200 if state == "pending" or mine else 410,
    )


def _answer(
    request: HttpRequest, invitation: Invitation, action: str, back: str = ""
) -> HttpResponse:
    if action not in ("accept", "decline"):
        return HttpResponseBadRequest()
    back = back or reverse("organisations:list")
    organisation = invitation.organisation
    try:
        if action == "accept":
            membership = invitations.accept(request.user, invitation)
        else:
            invitations.decline(request.user, invitation)
    except Refused as refused:
        messages.error(request, message_for(refused.code, **refused.params))
        return redirect(back)
    if action == "decline":
        messages.info(request, f"You declined the invitation to {organisation.name}.")
        return redirect("organisations:list")
    messages.success(request, f"You are a member of {organisation.name} as {membership.role}.")
    return redirect("organisations:detail", slug=organisation.slug)
