"""Rows written in bulk: the importer's new posts, revisions, links and audit rows, many per
statement, without a model instance's layers of conversion per value."""

from collections.abc import Callable

from django.db import connection
from django.db.models import DateTimeField, JSONField

ROWS_PER_STATEMENT = 500


def insert_rows(model, fields: tuple[str, ...], rows: list[tuple], *, skip_existing: bool = True) -> None:
    """Insert rows of database-ready values, many per statement; rows whose unique values are
    already there are left alone, or raise IntegrityError unless `skip_existing`.

    Building a model instance per row (bulk_create) took most of an import's time.
    """
    rows = list(dict.fromkeys(rows))
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in fields)
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            chunk = rows[start : start + ROWS_PER_STATEMENT]
            cursor.execute(
                f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "
                f"VALUES {', '.join([placeholders] * len(chunk))}{' ON CONFLICT DO NOTHING' if skip_existing else ''}",
                [value for row in chunk for value in row],
            )


def insert_instances(instances: list) -> None:
    """Insert new model instances (without their primary keys) as rows, like bulk_create.

    bulk_create prepares every value of every row through each field's layers of conversion:
    for 15,000 posts and their revisions, a tenth of the import's time.
    """
    fields = [field for field in type(instances[0])._meta.concrete_fields if not field.primary_key]
    prepared = [(field.attname, _db_value(field)) for field in fields]
    rows = [tuple(to_db(getattr(instance, attname)) for attname, to_db in prepared) for instance in instances]
    insert_rows(type(instances[0]), tuple(field.name for field in fields), rows, skip_existing=False)


def _db_value(field) -> Callable:
    """What makes a value of `field` ready for the database, for the field types of Post and
    Revision: get_db_prep_save's result, in one step."""
    if isinstance(field, JSONField):
        return lambda value: connection.ops.adapt_json_value(value, field.encoder)
    if isinstance(field, DateTimeField):
        return connection.ops.adapt_datetimefield_value
    if field.choices:
        return lambda value: str(value)  # a TextChoices member as its value
    if field.get_internal_type() not in _PLAIN_FIELD_TYPES:
        raise TypeError(f"{field} needs its own conversion")
    return lambda value: value


_PLAIN_FIELD_TYPES = {"CharField", "SlugField", "TextField", "ForeignKey", "PositiveIntegerField"}
