"""The admin's page merging categories (CategoryAdmin's "Merge selected categories into…"): the
selected categories, the one to keep chosen among them, what the merge moves, then the merge
itself (workflow.merge_categories), each step a form posting the choice back.

Whatever a step is given is checked again: ids of categories gone (merged or deleted meanwhile,
or forged), a category to keep outside the selection or merged into itself are refused with the
reason, and nothing changes."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from . import workflow
from .models import Category

STEPS = ("choose", "confirm", "merge")


class MergeForm(forms.Form):
    categories = forms.ModelMultipleChoiceField(
        Category.objects.all(),
        error_messages={
            "invalid_choice": "No category has the id %(value)s: it was merged or deleted meanwhile, or never was.",
            "invalid_pk_value": "“%(pk)s” is not the id of a category.",
        },
    )
    into = forms.ModelChoiceField(
        Category.objects.all(),
        error_messages={
            "required": "Choose the category to keep.",
            "invalid_choice": "The category to keep no longer exists.",
        },
    )

    def clean(self):
        data = super().clean()
        categories, into = data.get("categories"), data.get("into")
        if categories is None or into is None:
            return data
        if into not in categories:
            raise ValidationError("The category to keep must be one of those selected.")
        data["merged"] = [category for category in categories if category.pk != into.pk]
        if not data["merged"]:
            raise ValidationError(f"“{into}” cannot be merged into itself: select two categories or more.")
        return data


def merge(request, model_admin):
    """GET ?ids=1,2,3 (the list's action sends here): choose the category to keep. POST
    step=confirm: what the merge does. POST step=merge: the merge."""
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": Category._meta,
        "title": "Merge categories",
    }
    if not workflow.may_merge_categories(request.user):
        return _refused(request, context, ["You may not merge categories."], status=403)
    if request.method == "POST":
        form = MergeForm(request.POST)
        step = request.POST.get("step")
    else:
        form = MergeForm({"categories": [i for i in request.GET.get("ids", "").split(",") if i]})
        step = "choose"
    if step not in STEPS:
        return _refused(request, context, ["Unknown step."])
    if step == "choose":
        form.is_valid()  # for the categories; the one to keep is chosen on this page
        errors = form.errors.get("categories")
        if errors:
            return _refused(request, context, errors)
        if len(form.cleaned_data["categories"]) < 2:
            return _refused(
                request, context, ["Select two categories or more: the one to keep and those to merge into it."]
            )
        return _choose(request, context, form.cleaned_data["categories"])
    if not form.is_valid():
        return _refused(request, context, [error for errors in form.errors.values() for error in errors])
    merged, into = form.cleaned_data["merged"], form.cleaned_data["into"]
    try:
        if step == "confirm":
            plan = workflow.merge_plan(merged, into=into)
            return TemplateResponse(request, "admin/posts/category/merge_confirm.html", {**context, "plan": plan})
        plan = workflow.merge_categories(merged, into=into, by=request.user)
    except ValidationError as error:
        return _refused(request, context, error.messages)
    names = ", ".join(f"“{category.name}”" for category in plan.merged)
    messages.success(
        request,
        f"Merged {names} into “{plan.kept.name}”: {plan.moving} post(s) moved; their old addresses lead to it.",
    )
    return HttpResponseRedirect(reverse("admin:posts_category_changelist"))


def _choose(request, context: dict, categories):
    counted = categories.annotate(post_count=Count("posts")).order_by("-post_count", "name")
    return TemplateResponse(request, "admin/posts/category/merge.html", {**context, "categories": counted})


def _refused(request, context: dict, reasons: list[str], status: int = 400):
    """The page saying why nothing was merged."""
    return TemplateResponse(
        request, "admin/posts/category/merge_refused.html", {**context, "reasons": reasons}, status=status
    )
