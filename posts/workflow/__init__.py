"""The editorial workflow (DESIGN.md, "Editorial workflow"): a post's states, the moves between
them, and who may make each.

A post's `status` is what readers get: they see it only while it is published. A published post's
newer revision waits, in `pending_status` (draft, in review or scheduled), until a moderator lets it
go live; meanwhile the post's content fields keep the live revision. A post's *state* is where its
latest revision stands: `pending_status` when there is one, else `status`.

Every verb here checks the user's permission, then the post's state, in one transaction with
the post's row locked; writes a PostAction; refreshes what depends on the post (changes.py); and
sends its e-mail once committed. The admin, its bulk actions, the commands, the importer and the
tests all change posts through them.

    states.py     the states, the table of moves, who may make each
    content.py    Content and revisions: create, edit, restore; new_revision, the one maker of revisions
    moves.py      submit, approve, schedule, send_back, publish, unpublish, delete, undelete, publish_due
    details.py    what no revision holds: a post's own fields, aliases and attachments
    categories.py merging categories: their posts filed under the one kept, their old names kept
    importing.py  the legacy import: import_new, reimport
    audit.py      the audit log (PostAction)
    mail.py       the e-mail to moderators and authors
"""

from .categories import MergePlan, may_merge_categories, merge_categories, merge_plan
from .content import Content, EditConflict, conflict_message, create, edit, new_revision, restore
from .details import (
    DETAILS,
    change_aliases,
    change_attachment,
    change_details,
    delete_attachments,
    links_refusal,
    may_change_links,
    may_set_details,
)
from .importing import ImportedPost, add_legacy_aliases, import_new, reimport, show_stored_attachments
from .moves import (
    approve,
    delete,
    next_due,
    publish,
    publish_due,
    publish_due_revisions,
    schedule,
    send_back,
    submit,
    undelete,
    unpublish,
)
from .states import (
    EVERY_STATE,
    MOVES,
    REACHED,
    Action,
    InvalidTransition,
    Move,
    Status,
    available,
    can,
    describe_state,
    may,
    may_change,
    may_edit,
    state_of,
)

__all__ = [
    "DETAILS",
    "EVERY_STATE",
    "MOVES",
    "REACHED",
    "Action",
    "Content",
    "EditConflict",
    "ImportedPost",
    "InvalidTransition",
    "MergePlan",
    "Move",
    "Status",
    "approve",
    "available",
    "can",
    "change_aliases",
    "change_attachment",
    "change_details",
    "conflict_message",
    "create",
    "delete",
    "delete_attachments",
    "describe_state",
    "edit",
    "add_legacy_aliases",
    "import_new",
    "links_refusal",
    "may",
    "may_change",
    "may_change_links",
    "may_edit",
    "may_merge_categories",
    "merge_categories",
    "merge_plan",
    "may_set_details",
    "new_revision",
    "next_due",
    "publish",
    "publish_due",
    "publish_due_revisions",
    "reimport",
    "restore",
    "schedule",
    "send_back",
    "show_stored_attachments",
    "state_of",
    "submit",
    "undelete",
    "unpublish",
]
