"""Everything that imports Streamlit or Plotly: the pages' parts per kind, figures, app state, public mode,
the server and a client that speaks its protocol."""
