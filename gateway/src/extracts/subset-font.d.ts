/** `subset-font` ships no types; this is the part of its API the extracts use. */
declare module 'subset-font' {
  function subsetFont(font: Buffer, text: string, options?: { targetFormat?: 'sfnt' | 'woff' | 'woff2' | 'truetype'; keepFeatures?: string[] }): Promise<Buffer>;
  export = subsetFont;
}
