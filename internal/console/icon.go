package console

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
)

// iconPNG draws the app icon (static/icon.svg: a white tick on the
// office's green) as a size × size PNG. The green fills the whole square
// and the tick stays inside the middle 60%, so a launcher may cut it to a
// circle or a rounded square (a "maskable" icon).
func iconPNG(size int) ([]byte, error) {
	green := color.NRGBA{0x0b, 0x6e, 0x4f, 0xff}
	// The tick of icon.svg, in its 32-unit box, and half its stroke width.
	tick := [][2]float64{{9, 16.5}, {13.5, 21}, {23, 11}}
	const half = 1.75
	unit := 32 / float64(size) // one pixel in the svg's units
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			px, py := (float64(x)+0.5)*unit, (float64(y)+0.5)*unit
			d := math.Inf(1)
			for i := 0; i+1 < len(tick); i++ {
				d = math.Min(d, segmentDistance(px, py, tick[i], tick[i+1]))
			}
			// Anti-aliased edge: full white inside, green beyond a pixel out.
			cover := math.Max(0, math.Min(1, (half-d)/unit+0.5))
			mix := func(a uint8) uint8 { return uint8(math.Round(float64(a)*(1-cover) + 255*cover)) }
			img.SetNRGBA(x, y, color.NRGBA{mix(green.R), mix(green.G), mix(green.B), 0xff})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// segmentDistance is the distance from (x, y) to the segment a–b (round
// caps and joins come from taking the nearest point of each segment).
func segmentDistance(x, y float64, a, b [2]float64) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	t := ((x-a[0])*dx + (y-a[1])*dy) / (dx*dx + dy*dy)
	t = math.Max(0, math.Min(1, t))
	return math.Hypot(x-(a[0]+t*dx), y-(a[1]+t*dy))
}
