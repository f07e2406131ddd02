"""From the normalized Model to the generated file's text: names, imports, templates, black."""
