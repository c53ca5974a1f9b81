"""Names of the AGE graph and labels that hold twins and relationships (docs/schema.md)."""

GRAPH = "adt"
TWIN_LABEL = "Twin"
RELATIONSHIP_LABEL = "Relationship"
MODEL_LABEL = "Model"

# A page with IS_OF_MODEL binds each model set as ids expanded from the stored models at some
# version; its SQL hands that version to this function (adtquery.db.schema), which raises
# MODELS_CHANGED when the models in the page's own snapshot differ. Evaluated once per page.
MODELS_CHECK = f"{GRAPH}.check_models_version"
MODELS_VERSION_PARAM = "models_version"
MODELS_CHANGED = "AQM01"  # SQLSTATE, outside every class PostgreSQL defines
