/** Output formats: GDAL driver, file extension, whether the result is zipped, creation options. */
export type ExportFormat = 'shapefile' | 'gpkg' | 'filegdb' | 'geojson' | 'flatgeobuf';

export interface FormatSpec {
  driver: string;
  label: string;
  /** File or folder GDAL writes, relative to the job folder. */
  target: (layer: string) => string;
  /** Zip the written folder (shapefile set, .gdb) for download. */
  zip: boolean;
  lco: string[];
  /** Text of a .cpg written beside the .shp (GDAL writes none when the encoding is given as an LDID). */
  cpg?: string;
  /** Further creation options when the layer is in a plane (metre) CRS. */
  planeLco?: string[];
  download: (base: string) => string;
  mime: string;
}

export const FORMATS: Record<ExportFormat, FormatSpec> = {
  shapefile: {
    driver: 'ESRI Shapefile',
    label: 'Shapefile（GBK编码，含.cpg与.prj）',
    target: (layer) => `out/${layer}.shp`,
    zip: true,
    // GBK text, as Chinese desktop GIS and the survey change workflow expect: language driver id
    // 0x4D (77, GBK) in the DBF header, for readers that ignore .cpg, and a .cpg for those that read it.
    lco: ['ENCODING=LDID/77'],
    cpg: 'CP936',
    download: (base) => `${base}.shp.zip`,
    mime: 'application/zip',
  },
  gpkg: { driver: 'GPKG', label: 'GeoPackage', target: () => 'out/export.gpkg', zip: false, lco: [], download: (b) => `${b}.gpkg`, mime: 'application/geopackage+sqlite3' },
  filegdb: {
    driver: 'OpenFileGDB',
    label: 'File Geodatabase（zip）',
    target: () => 'out/export.gdb',
    zip: true,
    // As ArcGIS writes a feature class: geometry column SHAPE with its SHAPE_Length and SHAPE_Area.
    lco: ['GEOMETRY_NAME=SHAPE', 'CREATE_SHAPE_AREA_AND_LENGTH_FIELDS=YES'],
    // ArcGIS's default domain of a metre CRS: origin (−5 123 200, −10 002 100), resolution 0.1 mm,
    // tolerance 1 mm. GDAL's own grid would store 39621051.64 as 39621051.63999987.
    planeLco: ['XORIGIN=-5123200', 'YORIGIN=-10002100', 'XYSCALE=10000', 'XYTOLERANCE=0.001'],
    download: (b) => `${b}.gdb.zip`,
    mime: 'application/zip',
  },
  // In the layer's own CRS (RFC 7946 would force WGS 84), without a `name` member.
  geojson: { driver: 'GeoJSON', label: 'GeoJSON', target: () => 'out/export.geojson', zip: false, lco: ['RFC7946=NO', 'WRITE_NAME=NO'], download: (b) => `${b}.geojson`, mime: 'application/geo+json' },
  flatgeobuf: { driver: 'FlatGeobuf', label: 'FlatGeobuf', target: (l) => `out/${l}.fgb`, zip: false, lco: [], download: (b) => `${b}.fgb`, mime: 'application/octet-stream' },
};

export const isExportFormat = (s: string): s is ExportFormat => Object.hasOwn(FORMATS, s);
