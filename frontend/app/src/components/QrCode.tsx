import { useMemo } from "react";
import qrcode from "qrcode-generator";

/** The dark modules of text's QR code as one SVG path, and its size in modules. */
export function qrPath(text: string): { size: number; path: string } {
  const qr = qrcode(0, "M");
  qr.addData(text);
  qr.make();
  const size = qr.getModuleCount();
  let path = "";
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      if (qr.isDark(row, col)) path += `M${col} ${row}h1v1h-1z`;
    }
  }
  return { size, path };
}

/** A QR code drawn in the page (nothing is fetched): black on white with its quiet zone, whatever the theme. */
export function QrCode({ text, label, pixels = 200 }: { text: string; label: string; pixels?: number }) {
  const { size, path } = useMemo(() => qrPath(text), [text]);
  const quiet = 4;
  const box = size + 2 * quiet;
  return (
    <svg className="qr-code" role="img" aria-label={label} width={pixels} height={pixels} viewBox={`${-quiet} ${-quiet} ${box} ${box}`} shapeRendering="crispEdges">
      <rect x={-quiet} y={-quiet} width={box} height={box} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  );
}
