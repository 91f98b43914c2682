@ok cold-page-dma */
	if (!buf)
		return -ENOMEM;
	q->dma = pci_map_single(q->pdev, (void *)buf, PAGE_SIZE, PCI_DMA_FROMDEVICE);
	return 0;
}

static int rxq_param_mask(struct rxq *q, int gfp)
{
	struct page *page = alloc_page(gfp); /* @ok cold-page-dma */
	if (!page)
		return -ENOMEM;
	/* pci_map_page(q->pdev, page, 0, PAGE_SIZE, PCI_DMA_FROMDEVICE) */
	return 0;
}
