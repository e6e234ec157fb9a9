//! The printer's 1-bit [`Bitmap`] as an `embedded-graphics` draw target:
//! signatures, QR fall-back rasters and other printed images are drawn
//! with its primitives (polylines with a stroke width, rectangles)
//! instead of hand-written dot loops. Pure: no I/O.

use core::convert::Infallible;

use embedded_graphics::Pixel;
use embedded_graphics::geometry::{OriginDimensions, Size};
use embedded_graphics::pixelcolor::BinaryColor;
use embedded_graphics::prelude::DrawTarget;

use crate::documents::Bitmap;

impl OriginDimensions for Bitmap {
    fn size(&self) -> Size {
        Size::new(self.width(), self.height())
    }
}

/// `BinaryColor::On` is a burnt (black) dot. Pixels outside the bitmap
/// are clipped.
impl DrawTarget for Bitmap {
    type Color = BinaryColor;
    type Error = Infallible;

    fn draw_iter<I>(&mut self, pixels: I) -> Result<(), Self::Error>
    where
        I: IntoIterator<Item = Pixel<Self::Color>>,
    {
        for Pixel(point, color) in pixels {
            if let (Ok(x), Ok(y)) = (u32::try_from(point.x), u32::try_from(point.y)) {
                self.set(x, y, color.is_on());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use embedded_graphics::prelude::*;
    use embedded_graphics::primitives::{Line, PrimitiveStyle, Rectangle};

    use super::*;

    #[test]
    fn primitives_draw_dots_and_clip_at_the_edges() {
        let mut b = Bitmap::blank(10, 4).unwrap();
        Rectangle::new(Point::new(8, 2), Size::new(5, 5))
            .into_styled(PrimitiveStyle::with_fill(BinaryColor::On))
            .draw(&mut b)
            .unwrap();
        assert!(b.get(8, 2) && b.get(9, 3));
        assert!(!b.get(7, 2) && !b.get(8, 1));
        Line::new(Point::new(-5, 0), Point::new(3, 0))
            .into_styled(PrimitiveStyle::with_stroke(BinaryColor::On, 1))
            .draw(&mut b)
            .unwrap();
        assert!(b.get(0, 0) && b.get(3, 0) && !b.get(4, 0));
        b.clear(BinaryColor::Off).unwrap();
        assert!(b.bits().iter().all(|&byte| byte == 0));
    }
}
