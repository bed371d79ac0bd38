"""nsa-repro: a reproducible pipeline for networks with stochastic architectures.

Deng, Dong, Zhang and Zhu, *Understanding and Exploring the Network with Stochastic
Architectures* (NeurIPS 2020). The package holds the architecture space (`nsa.arch`), the
supernet and its variants (`nsa.models`), datasets (`nsa.data`), training (`nsa.train`),
evaluation protocols and metrics (`nsa.evaluate`, `nsa.metrics`), rendering of tables and
figures (`nsa.render`) and the settings that drive all of it (`nsa.config`).
"""

__version__ = "0.1.0"
