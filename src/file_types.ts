/**
 * File-type facts shared by the settings defaults and the download body checks.
 * @module
 */

/** Office Open XML documents, workbooks and presentations (a ZIP container, `PK\x03\x04`). */
export const OOXML_EXTENSIONS = [
  "docx",
  "docm",
  "dotx",
  "dotm",
  "xlsx",
  "xlsm",
  "xltx",
  "xltm",
  "pptx",
  "pptm",
  "potx",
  "potm",
  "ppsx",
  "ppsm",
] as const;
