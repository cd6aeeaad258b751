// ROZO's official API client, pointed at the sandbox: create a payment, read it back, register a payin.
//
// Usage: node script.mjs <sandbox base URL> <ROZO sandbox API key>
//
// The client is the pay-common package of ROZO's TypeScript SDK (@rozoai/intent-pay depends on it,
// pinned, as @rozoai/intent-common). Its base URL is configurable with setApiConfig({baseUrl}); it
// sends `Authorization: Bearer <its own gateway token>` and no X-API-Key, so the SDK's own calls use
// a public appId. Every fetch is routed through a guard that refuses any URL outside the sandbox, so
// this script never talks to ROZO. Prints one JSON object (the responses the SDK got) for the test
// suite to check against the contracts; exits 1 with a message on the first broken expectation.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

import { createPayment, getFee, getPayment, setApiConfig, updatePaymentPayInTxHash } from "@rozoai/intent-common";

const require = createRequire(import.meta.url);
const { apiClient } = require("@rozoai/intent-common/dist/api/base.js");

const [base, apiKey] = process.argv.slice(2);
if (!base || !apiKey) {
  console.error("usage: node script.mjs <base_url> <api_key>");
  process.exit(2);
}

const requests = [];
const blocked = [];
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init = {}) => {
  const url = String(input instanceof Request ? input.url : input);
  if (!url.startsWith(base + "/")) {
    blocked.push(url);
    throw new Error(`blocked: ${url} is outside the sandbox`);
  }
  requests.push({ method: init.method || "GET", url, headers: init.headers || {} });
  return realFetch(input, init);
};

function expect(condition, message, detail) {
  if (!condition) {
    console.error(`FAILED: ${message}` + (detail === undefined ? "" : `\n${JSON.stringify(detail, null, 2)}`));
    process.exit(1);
  }
}

const BASE_USDC = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913";
const STELLAR_USDC = "USDC:GA5ZSEJYB37JRC5AVCIA5MOP4RHTM335X2KGX3IHOJAPP5RE34K4KZVN";
const RECEIVER = "GC56BXCNEWL6JSGKHD3RJ5HJRNKFEJQ53D3YY3SMD6XK7YPDI75BQ7FD";
const params = {
  toChain: 1500, toToken: STELLAR_USDC, toAddress: RECEIVER, preferredChain: 8453,
  preferredTokenAddress: BASE_USDC, toUnits: "10.00", appId: "rozoDemo", title: "SDK payment",
  description: "Created by ROZO's own client", orderId: "sdk-order-1",
};

const sdkVersion = JSON.parse(readFileSync(require.resolve("@rozoai/intent-common/package.json"), "utf8")).version;
setApiConfig({ baseUrl: `${base}/rozo/functions/v1`, version: "v2" });

// 1. create (POST /payment-api, no trailing slash), public appId, bearer token only
const created = await createPayment(params);
expect(created.status === "payment_unpaid", "a new payment is payment_unpaid", created);
expect(created.appId === "rozoDemo" && created.orderId === "sdk-order-1", "appId and orderId are kept", created);
expect(/^0x[0-9a-f]{40}$/i.test(created.source.receiverAddress), "the Base deposit address is an EVM address", created);

// 2. read it back
const fetched = await getPayment(created.id);
expect(fetched.error === null && fetched.status === 200, "GET /payments/{id} answers 200", fetched);
expect(JSON.stringify(fetched.data) === JSON.stringify(created), "GET returns what create returned", fetched.data);

// 3. register the payin (the SDK sends senderAddress where the OpenAPI says fromAddress)
const txHash = "0x" + "5e".repeat(32);
const sender = "0x" + "a1".repeat(20);
const payin = await updatePaymentPayInTxHash({ paymentId: created.id, txHash, senderAddress: sender });
expect(payin.error === null && payin.data.status === "payment_started", "the payin moves it to payment_started", payin);
expect(payin.data.source.txHash === txHash && payin.data.source.senderAddress === sender,
  "the payin's tx hash and sender are stored", payin.data);

// 4. the same client with a merchant key: the key's appId wins over the body's
const merchantBody = {
  appId: "merchant_someone_else", orderId: "sdk-merchant-1", type: "exactOut",
  display: { title: "Merchant order", currency: "USD" },
  source: { chainId: 8453, tokenSymbol: "USDC" },
  destination: { chainId: 8453, receiverAddress: "0x" + "b2".repeat(20), tokenSymbol: "USDC", amount: "25.00" },
};
const keyed = { headers: { "X-API-Key": apiKey } };
const merchant = await apiClient.post("/payment-api", merchantBody, keyed);
expect(merchant.error === null && merchant.status === 201, "a keyed create answers 201", merchant);
expect(merchant.data.appId !== "merchant_someone_else", "the key's appId overrides the body's", merchant.data);
const foreign = await apiClient.get(`/payment-api/payments/${created.id}`, keyed);
expect(foreign.error !== null && /paymentNotFound/.test(foreign.error.message),
  "a keyed read of another app's payment is a 404", foreign.error && foreign.error.message);

// 5. fee quote as the SDK's repository version asks for it: POST payment-api/payments?dryrun=true
const quote = await apiClient.post("payment-api/payments", merchantBody, { params: { dryrun: "true" }, ...keyed });
expect(quote.error === null && quote.data.feeInfo && !("id" in quote.data), "dryrun answers a quote, not a payment",
  quote);

// 6. the published getFee (0.1.13) calls a fixed ROZO host: the guard must refuse it
const published = await getFee({ toUnits: "10.00", appId: "rozoDemo", toChain: 1500 });
expect(published.error !== null && blocked.some((u) => !u.startsWith(base)),
  "the published getFee's fixed host is blocked, never reached", { published, blocked });

expect(requests.every((r) => r.url.startsWith(base + "/rozo/functions/v1/payment-api")),
  "every request the SDK made went to the sandbox", requests);

console.log(JSON.stringify({
  sdkVersion, created, fetched: fetched.data, payin: payin.data, merchant: merchant.data, quote: quote.data,
  requests: requests.map((r) => ({ method: r.method, url: r.url, authorization: r.headers.Authorization || null,
                                   apiKey: r.headers["X-API-Key"] || null })),
  blocked,
}));
