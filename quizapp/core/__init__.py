"""The application's kernel: database base class, clock, request pipeline, errors."""
