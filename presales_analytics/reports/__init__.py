"""Reports: papermill-executed notebooks rendered to offline HTML (work in progress: the rendering
core is here; the report notebooks, `presales report` and scheduling arrive with the reports issue)."""
