"""Evidence packages: everything behind one declaration's decision, in a zip that verifies offline."""
