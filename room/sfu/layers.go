package sfu

// Simulcast layers are numbered 0 (low) to maxLayers-1 (high).
const maxLayers = 3

// layerIndex maps a layer name ("low", "mid", "high") to its index; ""
// means high.
func layerIndex(name string) int {
	switch name {
	case LayerLow:
		return 0
	case LayerMid:
		return 1
	}
	return 2
}

// layerName is the inverse of layerIndex.
func layerName(i int) string {
	switch i {
	case 0:
		return LayerLow
	case 1:
		return LayerMid
	}
	return LayerHigh
}

// ridIndex maps the RTP stream ids that publishers commonly use to a
// layer index: q/l/low/0, h/m/mid/1, f/high/2 (Chrome's "q", "h", "f"
// included). It returns -1 for a name it does not know.
func ridIndex(rid string) int {
	switch rid {
	case "q", "l", "low", "0":
		return 0
	case "h", "m", "mid", "1":
		return 1
	case "f", "high", "2":
		return 2
	}
	return -1
}

// resolveLayer picks the layer to forward for a wanted quality q among the
// available ones: the highest available at or below q, else the lowest
// available above it. It returns -1 when none is available.
func resolveLayer(available [maxLayers]bool, q int) int {
	for i := min(q, maxLayers-1); i >= 0; i-- {
		if available[i] {
			return i
		}
	}
	for i := q + 1; i < maxLayers; i++ {
		if available[i] {
			return i
		}
	}
	return -1
}
