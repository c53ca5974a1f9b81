"""Names of the AGE graph and labels that hold twins and relationships (docs/schema.md)."""

GRAPH = "adt"
TWIN_LABEL = "Twin"
RELATIONSHIP_LABEL = "Relationship"
MODEL_LABEL = "Model"
