"""The HTTP side: the Litestar application, its routes and how domain errors look in HTTP."""
