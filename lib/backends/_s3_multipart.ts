/**
 * Multipart uploads of large objects (CreateMultipartUpload, UploadPart with Content-MD5,
 * CompleteMultipartUpload, AbortMultipartUpload), and finding the uploads that killed writers left
 * behind (ListMultipartUploads, ListParts).
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { BackendError } from "../errors.ts";
import {
  escapeXml,
  type RequestContext,
  type S3Client,
  type S3Response,
  xmlElements,
  xmlText,
} from "./_s3_request.ts";

/** Turns an answer that is not the one expected into the error to throw. */
export type Fail = (context: RequestContext, response: S3Response) => BackendError;

/** The smallest part S3 accepts (all but the last part). */
export const MIN_PART_SIZE = 5 << 20;

/**
 * Stores `data` under `key` in parts of `partSize` bytes, sent in parallel (the client bounds how many at
 * once). An upload that fails is aborted, so that nothing is left behind where the abort gets through.
 *
 * @throws {BackendError} as the failing request says.
 */
export async function multipartPut(
  client: S3Client,
  key: string,
  data: Uint8Array,
  options: { partSize: number; fail: Fail },
): Promise<void> {
  const context = { operation: "store", target: key };
  const created = await client.send({ method: "POST", key, query: { uploads: "" } }, context);
  const uploadId = created.status === 200 ? xmlText(decode(created), "UploadId") : undefined;
  if (uploadId === undefined) throw options.fail(context, created);
  try {
    const count = Math.max(1, Math.ceil(data.length / options.partSize));
    const etags = await Promise.all(Array.from({ length: count }, async (_, index) => {
      const part = data.subarray(
        index * options.partSize,
        Math.min(data.length, (index + 1) * options.partSize),
      );
      const response = await client.send({
        method: "PUT",
        key,
        query: { partNumber: String(index + 1), uploadId },
        headers: { "content-md5": createHash("md5").update(part).digest("base64") },
        body: part,
      }, context);
      const etag = response.headers.get("etag");
      if (response.status !== 200 || etag === null) throw options.fail(context, response);
      return etag;
    }));
    const body = new TextEncoder().encode(
      "<CompleteMultipartUpload>" +
        etags.map((etag, i) =>
          `<Part><PartNumber>${i + 1}</PartNumber><ETag>${escapeXml(etag)}</ETag></Part>`
        )
          .join("") +
        "</CompleteMultipartUpload>",
    );
    const completed = await client.send({ method: "POST", key, query: { uploadId }, body }, context);
    // A 200 may still carry an error document (the server failed while combining the parts).
    if (completed.status !== 200 || xmlText(decode(completed), "Code") !== undefined) {
      throw options.fail(context, completed);
    }
  } catch (error) {
    await abortUpload(client, key, uploadId).catch(() => {}); // the clean-up finds it otherwise
    throw error;
  }
}

/** An unfinished multipart upload. */
export interface PendingUpload {
  key: string;
  uploadId: string;
  /** When it was started, in ms since the epoch. */
  initiated: number;
}

/**
 * The unfinished uploads of keys under `prefix`, page by page.
 *
 * @throws {BackendError} as the listing says.
 */
export async function pendingUploads(client: S3Client, prefix: string, fail: Fail): Promise<PendingUpload[]> {
  const uploads: PendingUpload[] = [];
  const context = { operation: "list unfinished uploads under", target: prefix };
  let marker: { key: string; id: string } | undefined;
  do {
    const query: Record<string, string> = { uploads: "", prefix };
    if (marker !== undefined) {
      Object.assign(query, { "key-marker": marker.key, "upload-id-marker": marker.id });
    }
    const response = await client.send({ method: "GET", key: "", query }, context);
    if (response.status !== 200) throw fail(context, response);
    const xml = decode(response);
    for (const item of xmlElements(xml, "Upload")) {
      const key = xmlText(item, "Key");
      const uploadId = xmlText(item, "UploadId");
      if (key === undefined || uploadId === undefined) continue;
      uploads.push({ key, uploadId, initiated: Date.parse(xmlText(item, "Initiated") ?? "") || 0 });
    }
    const next = { key: xmlText(xml, "NextKeyMarker") ?? "", id: xmlText(xml, "NextUploadIdMarker") ?? "" };
    marker = xmlText(xml, "IsTruncated") === "true" && next.key !== "" ? next : undefined;
  } while (marker !== undefined);
  return uploads;
}

/** The bytes an unfinished upload holds so far (0 when its parts cannot be listed). */
export async function uploadedBytes(client: S3Client, upload: PendingUpload): Promise<number> {
  const response = await client.send(
    { method: "GET", key: upload.key, query: { uploadId: upload.uploadId } },
    { operation: "list parts of", target: upload.key },
  );
  if (response.status !== 200) return 0;
  return xmlElements(decode(response), "Part").reduce(
    (sum, part) => sum + Number(xmlText(part, "Size") ?? 0),
    0,
  );
}

/**
 * Aborts an unfinished upload; one already gone is not an error.
 *
 * @throws {BackendError} when the server refuses.
 */
export async function abortUpload(
  client: S3Client,
  key: string,
  uploadId: string,
  fail?: Fail,
): Promise<void> {
  const context = { operation: "abort the upload of", target: key };
  const response = await client.send({ method: "DELETE", key, query: { uploadId } }, context);
  if (response.status !== 204 && response.status !== 200 && response.status !== 404 && fail) {
    throw fail(context, response);
  }
}

function decode(response: S3Response): string {
  return new TextDecoder().decode(response.body);
}
