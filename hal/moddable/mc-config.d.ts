declare module "mc/config" {
  const config: Record<string, unknown>;
  export default config;
}
