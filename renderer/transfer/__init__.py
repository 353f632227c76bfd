"""Train on synthetic, test on real: the crop protocol of DESIGN.md §10 (``synthscene evaluate``).

* :mod:`renderer.transfer.crops`: square 64x64 crops of labelled objects from synthscene batches
  and from labelled real photos (:mod:`labels.real_sources`);
* :mod:`renderer.transfer.classifier`: the ~290k-parameter CNN, its augmentation and training with
  the epoch chosen on a held-out *synthetic* split;
* :mod:`renderer.transfer.protocol`: the class mapping, N seeds, metrics per real source.
"""
