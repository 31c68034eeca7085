"""Publishing and checking the graph: what the service says about its data.

    catalog     the DCAT-AP catalogue of every dataset, download and service
    void        the VoID description of the whole dataset and its named graphs
    dumps       the downloads offered (one file per graph and format) and streaming them
    cube        the RDF Data Cube integrity constraints IC-1 to IC-21 (``validate --cube``)

None of these loads data: they read the store as it is.
"""
