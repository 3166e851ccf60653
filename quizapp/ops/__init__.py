"""Operations: request metrics (Prometheus), the live view of running rounds, ``/metrics``."""
