//! Renders a laid-out receipt to an 8-bit grey-scale PNG that looks like
//! the thermal slip: 1-bit black dots on white paper, a plain top edge (the
//! previous cut), and at the bottom a dashed cut line (full cut), a cut line
//! with the uncut centre tab (partial cut) or a torn zig-zag edge (no cut:
//! the connection closed).

use std::collections::HashMap;

use ab_glyph::{Font, FontRef, GlyphId, PxScale, ScaleFont, point};

use super::escpos::{
    ASCII_CELL_W, BlockKind, CELL_H, CJK_CELL_W, CutKind, Glyph, MAX_PAGE_DOTS, Page, PageEnd,
    Style,
};
use super::font::Fonts;
use crate::Error;

/// Paper colour.
const PAPER: u8 = 255;
/// Thermal ink: nearly black.
const INK: u8 = 12;
/// The table the slip lies on, seen beyond its edges.
const TABLE: u8 = 208;
/// Cut-line marker.
const MARK: u8 = 140;
/// Blank paper above the first line.
const TOP_MARGIN: u32 = 16;
/// Blank paper below the last line, before the edge.
const BOTTOM_MARGIN: u32 = 20;
/// Table visible above the top edge.
const TOP_TABLE: u32 = 6;
/// Height of the bottom edge marker band.
const EDGE: u32 = 16;
/// Glyph coverage from which a dot is burnt.
const THRESHOLD: f32 = 0.42;
/// Baseline of the ideographic em box (Noto CJK: 880/1000 from the top).
const BASELINE: f32 = 0.88;

struct Canvas {
    w: u32,
    h: u32,
    px: Vec<u8>,
}

impl Canvas {
    fn set(&mut self, x: i64, y: i64, v: u8) {
        if x >= 0 && y >= 0 && (x as u64) < u64::from(self.w) && (y as u64) < u64::from(self.h) {
            self.px[y as usize * self.w as usize + x as usize] = v;
        }
    }

    fn fill(&mut self, x0: i64, y0: i64, w: i64, h: i64, v: u8) {
        for y in y0..y0 + h {
            for x in x0..x0 + w {
                self.set(x, y, v);
            }
        }
    }
}

/// A glyph's burnt dots within its cell.
struct Mask {
    w: u32,
    h: u32,
    dots: Vec<bool>,
}

type CacheKey = (char, bool, Style);

fn pick_font(fonts: &Fonts, ch: char, wide: bool) -> Option<(&FontRef<'static>, GlyphId)> {
    let order: [Option<&FontRef<'static>>; 2] = if wide {
        [Some(&fonts.main), fonts.half.as_ref()]
    } else {
        [fonts.half.as_ref(), Some(&fonts.main)]
    };
    order.into_iter().flatten().find_map(|f| {
        let id = f.glyph_id(ch);
        (id.0 != 0).then_some((f, id))
    })
}

fn rasterize(fonts: &Fonts, ch: char, wide: bool, style: Style) -> Mask {
    let wmul = u32::from(style.wmul);
    let hmul = u32::from(style.hmul);
    let w = if wide { CJK_CELL_W } else { ASCII_CELL_W } * wmul;
    let h = CELL_H * hmul;
    let mut mask = Mask {
        w,
        h,
        dots: vec![false; (w * h) as usize],
    };
    if ch.is_whitespace() {
        return mask;
    }
    let Some((font, id)) = pick_font(fonts, ch, wide) else {
        // Tofu: the printer has no glyph for this code.
        for y in 2..h - 2 {
            for x in 2..w - 2 {
                if y == 2 || y == h - 3 || x == 2 || x == w - 3 {
                    mask.dots[(y * w + x) as usize] = true;
                }
            }
        }
        return mask;
    };
    // The em square is the full-width cell: 24 dots per size step.
    let em_x = (CJK_CELL_W * wmul) as f32;
    let em_y = h as f32;
    // ab_glyph scales by ascent - descent, not by the em: convert.
    let units_per_em = font.units_per_em().unwrap_or(1000.0);
    let per_em = font.height_unscaled() / units_per_em;
    let mut scale = PxScale {
        x: em_x * per_em,
        y: em_y * per_em,
    };
    let mut advance = font.as_scaled(scale).h_advance(id);
    if advance > w as f32 {
        // A proportional glyph wider than its cell is condensed to fit.
        scale.x *= w as f32 / advance;
        advance = w as f32;
    }
    let x0 = (w as f32 - advance) / 2.0;
    let glyph = id.with_scale_and_position(scale, point(x0, em_y * BASELINE));
    if let Some(outline) = font.outline_glyph(glyph) {
        let b = outline.px_bounds();
        let (bx, by) = (b.min.x as i64, b.min.y as i64);
        outline.draw(|gx, gy, c| {
            let x = bx + i64::from(gx);
            let y = by + i64::from(gy);
            if c >= THRESHOLD && x >= 0 && y >= 0 && x < i64::from(w) && y < i64::from(h) {
                mask.dots[(y as u32 * w + x as u32) as usize] = true;
            }
        });
    }
    if style.bold {
        // Emphasis: the dot line is printed twice, shifted right.
        let shift = wmul.max(1);
        for y in 0..h {
            for x in (shift..w).rev() {
                let i = (y * w + x) as usize;
                if mask.dots[i - shift as usize] {
                    mask.dots[i] = true;
                }
            }
        }
    }
    mask
}

fn draw_glyph(
    canvas: &mut Canvas,
    cache: &mut HashMap<CacheKey, Mask>,
    fonts: &Fonts,
    g: &Glyph,
    top: i64,
) {
    let mask = cache
        .entry((g.ch, g.wide, g.style))
        .or_insert_with(|| rasterize(fonts, g.ch, g.wide, g.style));
    let x0 = i64::from(g.x);
    let (fg, bg) = if g.style.reverse {
        (PAPER, INK)
    } else {
        (INK, PAPER)
    };
    if g.style.reverse {
        canvas.fill(x0, top, i64::from(mask.w), i64::from(mask.h), bg);
    }
    for y in 0..mask.h {
        for x in 0..mask.w {
            if mask.dots[(y * mask.w + x) as usize] {
                canvas.set(x0 + i64::from(x), top + i64::from(y), fg);
            }
        }
    }
    let u = i64::from(g.style.underline);
    if u > 0 {
        canvas.fill(x0, top + i64::from(mask.h) - u, i64::from(mask.w), u, fg);
    }
}

/// Draws a user-defined 24×24 character (`FS 2`: 24 columns of 3 bytes,
/// top bit first), scaled by the glyph's size.
fn draw_user_glyph(canvas: &mut Canvas, data: &[u8], g: &Glyph, top: i64) {
    let (wm, hm) = (i64::from(g.style.wmul), i64::from(g.style.hmul));
    let x0 = i64::from(g.x);
    for col in 0..24usize {
        for row in 0..24usize {
            let on = data
                .get(col * 3 + row / 8)
                .is_some_and(|b| b & (0x80 >> (row % 8)) != 0);
            if on {
                canvas.fill(x0 + col as i64 * wm, top + row as i64 * hm, wm, hm, INK);
            }
        }
    }
}

/// Renders `page` to PNG bytes.
pub(crate) fn render_png(page: &Page, fonts: &Fonts) -> Result<Vec<u8>, Error> {
    let w = page.width;
    let paper_top = TOP_TABLE;
    let content_top = paper_top + TOP_MARGIN;
    let used = page.height.min(MAX_PAGE_DOTS);
    let edge_y = content_top + used + BOTTOM_MARGIN;
    let h = edge_y + EDGE;
    let mut canvas = Canvas {
        w,
        h,
        px: vec![PAPER; (w * h) as usize],
    };
    canvas.fill(0, 0, i64::from(w), i64::from(paper_top), TABLE);

    let mut cache = HashMap::new();
    for block in &page.blocks {
        let top = i64::from(content_top) + i64::from(block.y);
        match &block.kind {
            BlockKind::Text { glyphs, height } => {
                for g in glyphs {
                    let gt = top + i64::from(*height) - i64::from(g.height());
                    match page.user_glyphs.get(&g.ch) {
                        Some(data) => draw_user_glyph(&mut canvas, data, g, gt),
                        None => draw_glyph(&mut canvas, &mut cache, fonts, g, gt),
                    }
                }
            }
            BlockKind::Image { x, bitmap } => {
                for y in 0..bitmap.height {
                    for bx in 0..bitmap.width {
                        if bitmap.pixels[(y * bitmap.width + bx) as usize] {
                            canvas.set(i64::from(x + bx), top + i64::from(y), INK);
                        }
                    }
                }
            }
        }
    }
    // Nothing prints below the content (a tall glyph cannot reach the edge).
    canvas.fill(0, i64::from(edge_y), i64::from(w), i64::from(EDGE), PAPER);
    draw_edge(&mut canvas, page.end, edge_y);

    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header()?;
        writer.write_image_data(&canvas.px)?;
        writer.finish()?;
    }
    Ok(out)
}

/// The bottom edge of the slip from row `y` on.
fn draw_edge(canvas: &mut Canvas, end: PageEnd, y: u32) {
    let w = i64::from(canvas.w);
    let y = i64::from(y);
    let band = i64::from(EDGE);
    match end {
        PageEnd::Cut(kind) => {
            // Dashed "cut here" line on the paper, then the table below.
            let line_y = y + 2;
            for x in 0..w {
                if (x / 6) % 2 == 0 {
                    canvas.fill(x, line_y, 1, 2, MARK);
                }
            }
            // Scissors-like chevrons at both ends of the line.
            for i in 0..5 {
                canvas.set(2 + i, line_y - 2 - i, MARK);
                canvas.set(2 + i, line_y + 3 + i, MARK);
                canvas.set(w - 3 - i, line_y - 2 - i, MARK);
                canvas.set(w - 3 - i, line_y + 3 + i, MARK);
            }
            let edge = y + 9;
            canvas.fill(0, edge, w, band - 9, TABLE);
            if kind == CutKind::Partial {
                // A partial cut leaves a tab of paper uncut in the middle.
                canvas.fill(w / 2 - 12, edge, 24, band - 9, PAPER);
            }
        }
        PageEnd::Closed => {
            // Torn edge: a zig-zag, paper above, table below.
            for x in 0..w {
                let phase = x % 16;
                let tooth = if phase < 8 { phase } else { 16 - phase };
                let edge = y + 4 + tooth;
                canvas.fill(x, edge, 1, y + band - edge, TABLE);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::PrinterFaults;
    use super::super::escpos::{Event, Interpreter};
    use super::*;

    fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let mut reader = decoder.read_info().expect("png header");
        let mut buf = vec![0; reader.output_buffer_size().expect("size")];
        let info = reader.next_frame(&mut buf).expect("png frame");
        assert_eq!(info.color_type, png::ColorType::Grayscale);
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    fn page(job: &[u8], width: u32) -> Page {
        let mut it = Interpreter::new(width);
        let mut out = Vec::new();
        it.feed(job, &PrinterFaults::default(), &mut out);
        out.into_iter()
            .find_map(|e| match e {
                Event::Page(p) => Some(p),
                _ => None,
            })
            .or_else(|| it.finish())
            .expect("a page")
    }

    #[test]
    fn user_defined_chinese_character_is_drawn_from_its_bitmap() {
        let fonts = super::super::font::fonts().expect("fonts");
        // A hollow square: columns 0 and 23 full, the others top and bottom.
        let mut data = Vec::new();
        for col in 0..24 {
            if col == 0 || col == 23 {
                data.extend([0xFF, 0xFF, 0xFF]);
            } else {
                data.extend([0x80, 0x00, 0x01]);
            }
        }
        let mut job = b"\x1c&\x1c\x32\xfe\xa1".to_vec();
        job.extend(&data);
        job.extend(b"\xfe\xa1\n\x1dV\x00");
        let p = page(&job, 384);
        assert_eq!(p.user_glyphs.len(), 1);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        let (w, h, px) = decode(&render_png(&p, fonts).expect("png"));
        let top = TOP_TABLE + TOP_MARGIN;
        let black = |x: u32, y: u32| px[(y * w + x) as usize] < 128;
        assert!(h > top + 24);
        assert!((0..24).all(|y| black(0, top + y) && black(23, top + y)));
        assert!((1..23).all(|x| black(x, top) && black(x, top + 23)));
        assert!(!black(12, top + 12), "hollow inside");
    }

    #[test]
    fn chinese_glyph_is_black_where_laid_out() {
        let fonts = super::super::font::fonts().expect("fonts");
        let mut job = b"\x1c&\x1ba\x01".to_vec();
        job.extend(encoding_rs::GB18030.encode("中").0.iter());
        job.extend(b"\n\x1dV\x00");
        let p = page(&job, 384);
        let png_bytes = render_png(&p, fonts).expect("png");
        let (w, h, px) = decode(&png_bytes);
        assert_eq!(w, 384);
        let top = TOP_TABLE + TOP_MARGIN;
        let black: Vec<(u32, u32)> = (0..h)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .filter(|&(x, y)| px[(y * w + x) as usize] < 128)
            .collect();
        assert!(black.len() > 40, "{} black dots", black.len());
        for &(x, y) in &black {
            assert!((180..204).contains(&x), "dot at x={x}");
            assert!((top..top + 24).contains(&y), "dot at y={y}");
        }
    }

    #[test]
    fn double_size_glyph_is_twice_as_tall() {
        let fonts = super::super::font::fonts().expect("fonts");
        let extent = |job: &[u8]| {
            let p = page(job, 384);
            let (w, h, px) = decode(&render_png(&p, fonts).expect("png"));
            let rows: Vec<u32> = (0..h)
                .filter(|&y| (0..w).any(|x| px[(y * w + x) as usize] < 128))
                .collect();
            rows.last().copied().unwrap_or(0) - rows.first().copied().unwrap_or(0)
        };
        let single = extent(b"\x1c&\xd6\xd0\n");
        let double = extent(b"\x1c&\x1d!\x11\xd6\xd0\n");
        assert!(single >= 18, "single {single}");
        assert!(
            double >= 2 * single - 2 && double <= 2 * single + 2,
            "{single} {double}"
        );
    }

    #[test]
    #[ignore = "writes /tmp/printer-styles.png for a human to look at"]
    fn style_sheet_image() {
        let fonts = super::super::font::fonts().expect("fonts");
        let job = b"\x1c&\x1ba\x02\xd6\xd0\xb9\xfa ABC xyz\n\x1ba\x00\x1d!\x10\xd6\xd0\xb9\xfaAB\n\x1d!\x01\x1bE\x01\xd6\xd0\xb9\xfa bold\n\x1d!\x00\x1bE\x00\x1b-\x01underline\x1b-\x00 \x1dB\x01 REVERSE \x1dB\x00\n\x1d!\x22Big\n";
        let png_bytes = render_png(&page(job, 576), fonts).expect("png");
        std::fs::write("/tmp/printer-styles.png", png_bytes).expect("write");
    }

    #[test]
    fn edges_differ_for_cut_and_tear() {
        let fonts = super::super::font::fonts().expect("fonts");
        let cut = render_png(&page(b"a\n\x1dV\x00", 576), fonts).expect("png");
        let torn = render_png(&page(b"a\n", 576), fonts).expect("png");
        let (w, _, _) = decode(&cut);
        assert_eq!(w, 576);
        assert_ne!(cut, torn);
    }
}
