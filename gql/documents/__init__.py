"""Register products as files: PDFs rendered with fpdf2, merged with pypdf, sealed with pyHanko.

Plain Python: it is given the data and returns bytes. It never reads the database and
knows nothing of GraphQL; the orders service gathers the data and stores the result.
"""
