"""the partial unique index of the assessment of an application revision as submitted, on a predicate that
matches: ``raise_decision IS NULL`` never held for rows whose ``raise_decision`` is the JSON ``null``
SQLAlchemy writes for None, so the old index covered no row (no uniqueness) and the query it was made for
(``repository.assessed_application_revision``) never found one. The new predicate is literal SQL, the
same text as the queries', so the planner can use the index (also in a generic plan).

Revision ID: assessment_controls
Revises: assessment_retention
"""

from alembic import context, op

revision = "assessment_controls"
down_revision = "assessment_retention"
branch_labels = None
depends_on = None

FIRST_OF_REVISION = "basis = 'application' AND (raise_decision IS NULL OR raise_decision = 'null'::jsonb)"
OLD = "raise_decision IS NULL AND basis = 'application'"


def _schema() -> str:
    return str(context.config.attributes.get("schema", "assessment"))


def upgrade() -> None:
    table = f'"{_schema()}".assessments'  # the schema name comes from the deployment's settings
    # duplicates the old index let through stop the migration with the cases named (no silent choice)
    op.execute(
        f"""DO $$ DECLARE found text; BEGIN
          SELECT string_agg(case_id::text || ' revision ' || application_revision, ', ') INTO found
            FROM (SELECT case_id, application_revision FROM {table} WHERE {FIRST_OF_REVISION}
                  GROUP BY case_id, application_revision HAVING count(*) > 1 LIMIT 5) d;
          IF found IS NOT NULL THEN
            RAISE EXCEPTION 'more than one assessment as submitted for %: resolve them first', found;
          END IF;
        END $$"""  # noqa: S608
    )
    op.execute(f'DROP INDEX IF EXISTS "{_schema()}".uq_assessments_application_basis')
    op.execute(
        f"CREATE UNIQUE INDEX uq_assessments_first_per_revision ON {table} (case_id, application_revision) "
        f"WHERE {FIRST_OF_REVISION}"
    )


def downgrade() -> None:
    table = f'"{_schema()}".assessments'
    op.execute(f'DROP INDEX IF EXISTS "{_schema()}".uq_assessments_first_per_revision')
    op.execute(
        f"CREATE UNIQUE INDEX uq_assessments_application_basis ON {table} (case_id, application_revision) "
        f"WHERE {OLD}"
    )
