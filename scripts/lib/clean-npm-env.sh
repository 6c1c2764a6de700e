# Sourced by the provisioning scripts (bash). Under `npm test` / `npm start` the parent npm exports its own
# settings as environment variables (npm_config_user_agent "npm/11 node/v20 …", npm_config_prefix,
# npm_execpath, NODE, …). A nested npm run by another Node reads them as its own configuration: code-server
# 4.139.1's postinstall builds with Node 24 yet reads "node/v20" from npm_config_user_agent and refuses,
# so `npm test` failed on a fresh machine where running the script by hand passed. Every npm started here
# begins from npm's defaults plus what the script sets itself.
while IFS= read -r _krustlet_var; do
  unset "$_krustlet_var"
done < <(compgen -e | grep -E '^(npm_.*|NODE|INIT_CWD)$' || true)
unset _krustlet_var
