/** Host side of the simulated scenario: sign the image the scenario will serve (node:crypto, so not for XS). */
import { createHash, sign } from "node:crypto";
import { makeSigner } from "./harness";
import { simImage, type ScenarioInput } from "./sim-scenario";

const signer = makeSigner();

export function scenarioInput(cutAt: number, imageSize = 150_000): ScenarioInput {
  const image = simImage("1.1.0", imageSize, 2);
  return {
    publicKeyHex: signer.publicKeyHex,
    signature: sign("sha256", image, signer.privateKey).toString("base64"),
    sha256: createHash("sha256").update(image).digest("hex"),
    imageSize,
    cutAt,
  };
}
